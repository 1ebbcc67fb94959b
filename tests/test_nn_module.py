"""nn.Module: registration, traversal, modes, state dicts (PyTorch's keys and layouts), containers, repr."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(al.ones(4))
        self.register_buffer("steps", al.zeros(1))
        self.register_buffer("scratch", al.zeros(2), persistent=False)
        self.plain = [1, 2, 3]                     # not registered

    def forward(self, x: al.Tensor) -> al.Tensor:
        return self.norm(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x: al.Tensor) -> al.Tensor:
        return self.head(self.block(x))


def test_registration_and_named_parameters_order() -> None:
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "block.norm.weight", "block.norm.bias",
                     "head.1.weight", "head.1.bias"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_buffers()] == ["block.steps", "block.scratch", "block.norm.running_mean",
                                                   "block.norm.running_var", "block.norm.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.norm", "head", "head.0", "head.1"]


def test_state_dict_keys_match_pytorch_format() -> None:
    net = Net()
    keys = list(net.state_dict())
    # PyTorch: per module, own parameters, then persistent buffers, then children in order.
    assert keys == ["block.scale", "block.steps", "block.fc.weight", "block.fc.bias", "block.norm.weight",
                    "block.norm.bias", "block.norm.running_mean", "block.norm.running_var",
                    "block.norm.num_batches_tracked", "head.1.weight", "head.1.bias"]
    sd = net.state_dict()
    assert sd["block.fc.weight"].shape == (4, 3)           # (out_features, in_features)
    assert not sd["block.fc.weight"].requires_grad
    assert sd["block.fc.weight"].array is net.block.fc.weight.array   # shares memory, like PyTorch


def test_shared_parameters_are_listed_once() -> None:
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(model.parameters())) == 2


def test_load_state_dict_copies_in_place() -> None:
    a, b = Net(), Net()
    w_before = b.block.fc.weight
    b.load_state_dict(a.state_dict())
    assert b.block.fc.weight is w_before                 # same object: optimizers keep working
    for (_, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(pa.array, pb.array)


def test_load_state_dict_accepts_numpy_arrays() -> None:
    lin = nn.Linear(2, 3)
    lin.load_state_dict({"weight": np.ones((3, 2)), "bias": np.zeros(3)})
    assert lin.weight.dtype == np.float32 and lin.weight.array.sum() == 6


def test_load_state_dict_errors_list_missing_unexpected_and_shapes() -> None:
    lin = nn.Linear(2, 3)
    sd = {"weight": al.zeros(3, 2), "extra": al.zeros(1)}
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict(sd)
    msg = str(info.value)
    assert 'Missing key(s) in state_dict: "bias"' in msg and 'Unexpected key(s) in state_dict: "extra"' in msg
    result = lin.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape \(2, 3\)"):
        lin.load_state_dict({"weight": al.zeros(2, 3), "bias": al.zeros(3)})


def test_train_eval_propagates() -> None:
    net = Net()
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_and_requires_grad_() -> None:
    net = Net()
    net(al.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net(al.randn(5, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.array.any() for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_visits_children_first() -> None:
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.index("Linear") < seen.index("Block")


def test_assigning_wrong_types_to_registered_names_is_an_error() -> None:
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        lin.weight = al.zeros(2, 2)
    lin.bias = None
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]


def test_module_needs_super_init() -> None:
    class Bad(nn.Module):
        def __init__(self) -> None:
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Bad()


def test_containers() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    assert isinstance(layers[-1], nn.Linear) and len(layers[1:3]) == 2
    d = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert list(d.keys()) == ["a", "b"] and "a" in d
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[0], nn.Linear) and len(seq[1:]) == 2
    assert list(seq[1:].state_dict()) == ["2.weight", "2.bias"]    # slicing keeps PyTorch's names
    assert seq(al.randn(4, 2)).shape == (4, 1)


def test_repr_prints_the_tree_with_shapes() -> None:
    text = repr(Net())
    assert "(block): Block(" in text
    assert "(scale): Parameter(shape=(4,), dtype=float32)" in text
    assert "(fc): Linear(in_features=3, out_features=4, bias=True)" in text
    assert "(norm): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)" in text
    assert "(head): Sequential(\n    (0): ReLU()\n    (1): Linear(in_features=4, out_features=2, bias=True)" in text


def test_forward_hooks() -> None:
    lin = nn.Linear(2, 2)
    seen = []
    h = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    lin(al.randn(3, 2))
    h.remove()
    lin(al.randn(3, 2))
    assert seen == [(3, 2)]
    lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = lin(al.randn(3, 2))             # the pre-hook zeroes the input: only the bias is left
    np.testing.assert_array_equal(out.array, np.broadcast_to(lin.bias.array, (3, 2)))


def test_double_converts_in_place() -> None:
    net = Net()
    w = net.block.fc.weight
    net.double()
    assert net.block.fc.weight is w and w.dtype == np.float64
    assert net.block.norm.running_mean.dtype == np.float64
    assert net.block.norm.num_batches_tracked.dtype == np.int64   # integer buffers stay integer


def test_get_submodule_and_parameter() -> None:
    net = Net()
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_parameter("block.fc.bias") is net.block.fc.bias
    with pytest.raises(AttributeError, match="no submodule 'nope'"):
        net.get_submodule("block.nope")


def test_deep_sequential_without_recursion_limits() -> None:
    deep = nn.Sequential(*[nn.Identity() for _ in range(5000)])
    assert len(list(deep.modules())) == 5001


def test_sequential_delete_renumbers_like_pytorch() -> None:
    s = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Tanh())
    del s[0]
    s.append(nn.Sigmoid())
    assert [type(m).__name__ for m in s] == ["ReLU", "Tanh", "Sigmoid"]
    assert list(s._modules) == ["0", "1", "2"]


def test_state_dict_lists_a_repeated_module_under_each_name() -> None:
    m = nn.Linear(2, 2)
    seq = nn.Sequential(m, m)
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    seq.load_state_dict(seq.state_dict())                 # and loads back strictly
    assert len(list(seq.parameters())) == 2               # parameters() still lists each once


def test_module_dict_from_module_dict_and_apply_order() -> None:
    d = nn.ModuleDict({"ab": nn.Linear(1, 1), "c": nn.ReLU()})
    d2 = nn.ModuleDict(d)
    assert list(d2.keys()) == ["ab", "c"]
    seen = []
    nn.Sequential(nn.Linear(1, 1), nn.Tanh()).apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Tanh", "Sequential"]        # PyTorch's order


def test_module_to_cpu_and_stale_forward_hook_handle() -> None:
    lin = nn.Linear(2, 2)
    assert lin.to("cpu") is lin and lin.cpu() is lin and lin.weight.dtype == np.float32
    seen = []
    h1 = lin.register_forward_hook(lambda m, a, o: seen.append(1))
    h1.remove()
    lin.register_forward_hook(lambda m, a, o: seen.append(2))
    h1.remove()
    lin(al.zeros(1, 2))
    assert seen == [2]


def test_norm_layer_reprs_are_pytorchs() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")
    for make in (lambda m: m.BatchNorm1d(3), lambda m: m.BatchNorm2d(3, affine=False), lambda m: m.LayerNorm(3),
                 lambda m: m.LayerNorm((2, 3), elementwise_affine=False), lambda m: m.LayerNorm(3, bias=False),
                 lambda m: m.BatchNorm1d(3, bias=False)):
        assert repr(make(nn)) == repr(make(torch.nn))
