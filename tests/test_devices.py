"""PyTorch's device vocabulary on a CPU-only library, tensor formatting, and a few of PyTorch's small names.

PyTorch programs ask for an accelerator, then fall back to the CPU: that boilerplate must run unchanged here,
and asking for an accelerator explicitly must fail clearly (not with an AttributeError deep inside).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn


def _torch():
    return pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")


DEVICE_SPECS = [("cpu",), ("cpu:0",), ("cuda",), ("cuda:1",), ("cuda", 0), ("mps",), ("meta",)]


@pytest.mark.parametrize("spec", DEVICE_SPECS, ids=str)
def test_device_objects_print_and_compare_as_pytorchs(spec):
    torch = _torch()
    ours, theirs = al.device(*spec), torch.device(*spec)
    assert (str(ours), repr(ours), ours.type, ours.index) == (str(theirs), repr(theirs), theirs.type, theirs.index)
    assert ours == al.device(str(ours)) and hash(ours) == hash(al.device(str(ours)))
    assert (ours == al.device("cpu")) == (theirs == torch.device("cpu"))


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:-1", "", "CPU"])
def test_a_device_that_does_not_exist_is_refused_as_in_pytorch(bad):
    torch = _torch()
    with pytest.raises(RuntimeError):
        torch.device(bad)
    with pytest.raises(RuntimeError, match="device: expected one of cpu, cuda"):
        al.device(bad)


def test_the_usual_device_boilerplate_runs_on_the_cpu():
    device = al.device("cuda" if al.cuda.is_available() else "cpu")
    if al.backends.mps.is_available():
        device = al.device("mps")
    al.backends.cudnn.benchmark = True                      # accepted, changes nothing
    al.cuda.manual_seed_all(0)
    al.set_default_device(device)
    x = al.randn(8, 4, device=device)
    model = nn.Linear(4, 2).to(device)
    y = model(x.to(device))
    assert y.device == device == al.device("cpu") == al.get_default_device()
    assert str(y.device) == "cpu" and not y.is_cuda and model.weight.device.type == "cpu"
    assert al.cuda.device_count() == 0 and al.accelerator.current_accelerator() is None
    assert not al.accelerator.is_available()


@pytest.mark.parametrize("action", ["tensor.cuda()", "tensor.to('cuda')", "tensor.to(al.device('cuda', 0))",
                                    "al.zeros(2, device='cuda')", "model.cuda()", "model.to('cuda:0')",
                                    "al.set_default_device('mps')", "al.cuda.current_device()"])
def test_asking_for_an_accelerator_says_this_runs_on_the_cpu(action):
    tensor, model = al.ones(2), nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="runs on the CPU only"):
        eval(action, {"al": al, "tensor": tensor, "model": model})


@pytest.mark.parametrize("spec", ["", ".4f", "+.2e", ">12.3f", "g"])
def test_a_0d_tensor_formats_as_its_number_as_in_pytorch(spec):
    torch = _torch()
    value = al.tensor(3.14159265, dtype=al.float64)
    assert format(value, spec) == format(torch.tensor(3.14159265, dtype=torch.float64), spec)
    loss = al.tensor([0.5, 0.25]).sum()
    assert f"loss {loss:.4f}" == "loss 0.7500"


def test_a_format_spec_on_a_tensor_with_dimensions_is_refused_as_in_pytorch():
    torch = _torch()
    with pytest.raises(TypeError):
        format(torch.tensor([2.5]), ".2f")
    with pytest.raises(TypeError, match=r"unsupported format string passed to Tensor.__format__: '.2f'"):
        format(al.tensor([2.5]), ".2f")
    assert format(al.tensor([2.5]), "") == str(al.tensor([2.5]))


def test_nelement_is_numel():
    assert al.zeros(3, 4).nelement() == 12 == _torch().zeros(3, 4).nelement()


@pytest.mark.parametrize("name", ["log10", "log2"])
def test_log10_and_log2_against_pytorch_and_gradchecked(name):
    torch = _torch()
    x = al.tensor(np.random.default_rng(0).uniform(0.5, 3.0, (3, 4)), requires_grad=True)
    assert al.gradcheck(lambda t: getattr(t, name)(), (x,)) and al.gradgradcheck(lambda t: getattr(t, name)(), (x,))
    xt = torch.tensor(x.array, requires_grad=True)
    getattr(xt, name)().sum().backward()
    getattr(x, name)().sum().backward()
    np.testing.assert_allclose(getattr(x, name)().array, getattr(xt, name)().detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-15)
