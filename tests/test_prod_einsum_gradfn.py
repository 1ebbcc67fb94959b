"""prod (with zeros, twice differentiable), einsum with '...' (and diagonals, and the sublist form), and PyTorch's
grad_fn names (MulBackward0, SumBackward1, AddmmBackward0...), each checked against PyTorch."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_lite as al
import nn

torch = pytest.importorskip("torch", reason="PyTorch (the test-only oracle) is not installed")

TOL = {"float64": dict(rtol=1e-12, atol=1e-13), "float32": dict(rtol=2e-5, atol=1e-6)}


def pair(a: np.ndarray, dtype: str = "float64") -> tuple[al.Tensor, torch.Tensor]:
    a = np.asarray(a, dtype=dtype)
    return al.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def assert_same(ours: al.Tensor, theirs: torch.Tensor, dtype: str = "float64") -> None:
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), **TOL[dtype])


# ---------------------------------------------------------------------------------------------- prod


def with_zeros(shape: tuple[int, ...], zeros: int, where: str, rng: np.random.Generator) -> np.ndarray:
    """Values of magnitude 0.5 to 1.5 (either sign), `zeros` of them 0: spread at random, or all in one row of
    the last dim (then a prod over it has them all in one product)."""
    a = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    flat = a.reshape(-1)
    if where == "spread":
        flat[rng.choice(flat.size, min(zeros, flat.size), replace=False)] = 0.0
    else:
        row = a.reshape(-1, shape[-1])[0]
        row[rng.choice(row.size, min(zeros, row.size), replace=False)] = 0.0
    return a


PROD_CASES = [(shape, dim, keepdim) for shape in [(5,), (3, 4), (2, 3, 4)]
              for dim in [None, *range(-len(shape), len(shape))] for keepdim in [False, True]
              if not (dim is None and keepdim)]


def prod_of(dim: int | None, keepdim: bool):
    return (lambda t: t.prod()) if dim is None else (lambda t: t.prod(dim, keepdim))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("zeros,where", [(0, "spread"), (1, "spread"), (2, "spread"), (1, "row"), (2, "row"),
                                         (3, "row")])
@pytest.mark.parametrize("shape,dim,keepdim", PROD_CASES)
def test_prod_values_and_gradients_are_pytorchs(shape, dim, keepdim, zeros, where, dtype) -> None:
    rng = np.random.default_rng([len(shape), zeros, 0 if dim is None else dim + 5, keepdim])
    a = with_zeros(shape, zeros, where, rng)
    x, xt = pair(a, dtype)
    f = prod_of(dim, keepdim)
    y, yt = f(x), f(xt)
    assert_same(y, yt, dtype)
    w = rng.standard_normal(y.shape).astype(dtype)
    (y * al.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), **TOL[dtype])
    if dtype == "float64":      # the second derivative too: a Hessian-vector product of sum(w * prod)
        x, xt = pair(a)
        (g,) = al.grad((f(x) * al.tensor(w)).sum(), x, create_graph=True)
        (gt,) = torch.autograd.grad((f(xt) * torch.tensor(w)).sum(), xt, create_graph=True)
        v = rng.standard_normal(a.shape)
        (h,) = al.grad((g * al.tensor(v)).sum(), x)
        (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
        np.testing.assert_allclose(h.array, ht.numpy(), **TOL[dtype])


def test_prod_gradient_at_zeros_is_the_product_of_the_others() -> None:
    x = al.tensor([2.0, 0.0, 3.0, 4.0], dtype=al.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 24.0, 0.0, 0.0])     # one zero: 2 * 3 * 4 at the zero
    x = al.tensor([2.0, 0.0, 3.0, 0.0], dtype=al.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 0.0, 0.0, 0.0])     # two zeros: 0 everywhere
    x = al.tensor([[2.0, 0.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 5.0]], dtype=al.float64, requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[0.0, 6.0, 0.0], [6.0, 3.0, 2.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
@pytest.mark.parametrize("shape,dim,keepdim", [((6,), None, False), ((3, 4), 1, False), ((3, 4), 0, True),
                                               ((2, 3, 3), -1, False), ((2, 3, 3), 1, True)])
def test_prod_gradcheck_and_gradgradcheck(shape, dim, keepdim, zeros) -> None:
    a = with_zeros(shape, zeros, "row", np.random.default_rng(zeros))
    x = al.tensor(a, requires_grad=True)
    f = prod_of(dim, keepdim)
    assert al.gradcheck(f, (x,)) and al.gradgradcheck(f, (x,))


def test_prod_of_0d_and_empty_tensors() -> None:
    for value in (0.0, 3.0):
        x, xt = pair(value)
        for f in (lambda t: t.prod(), lambda t: t.prod(0), lambda t: t.prod(-1, True)):
            y, yt = f(x), f(xt)
            assert_same(y, yt)
        y.backward()
        yt.backward()
        np.testing.assert_array_equal(x.grad.array, xt.grad.numpy())
    x, xt = pair(np.zeros((2, 0)))
    y, yt = x.prod(1), xt.prod(1)
    assert_same(y, yt)                              # the product of nothing is 1
    y.sum().backward()
    yt.sum().backward()
    assert x.grad.shape == (2, 0)
    assert_same(al.ones(0).prod(), torch.ones(0).prod(), "float32")


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"])
def test_prod_dtypes_are_pytorchs(dtype) -> None:
    a = np.array([[1, 2, 3], [0, 1, 2], [3, 1, 1]]).astype(dtype)
    x, xt = al.tensor(a), torch.tensor(a)
    for f in (lambda t, m: t.prod(), lambda t, m: t.prod(1), lambda t, m: m.prod(t, 0, keepdim=True),
              lambda t, m: t.prod(dtype=m.float64), lambda t, m: t.prod(0, dtype=m.int32)):
        y, yt = f(x, al), f(xt, torch)
        assert str(y.dtype) == str(yt.dtype).removeprefix("torch.")        # ints and bools: int64
        np.testing.assert_array_equal(y.array, yt.numpy())


def test_prod_module_function_and_spellings() -> None:
    a = np.arange(1.0, 7.0).reshape(2, 3)
    x, xt = pair(a)
    assert_same(al.prod(x), torch.prod(xt))
    assert_same(al.prod(x, 1), torch.prod(xt, 1))
    assert_same(al.prod(x, dim=0, keepdim=True), torch.prod(xt, dim=0, keepdim=True))
    assert_same(x.prod(axis=1), xt.prod(axis=1))
    assert_same(x.prod(1, True), xt.prod(1, True))


def test_prod_refuses_what_pytorch_refuses() -> None:
    x = al.ones(2, 3)
    with pytest.raises(TypeError, match=r"prod: .*dim=\(0, 1\).*expected dim to be one int or None.*got \(0, 1\)"):
        x.prod((0, 1))
    with pytest.raises(IndexError, match=r"prod: dim 2 is out of range for a tensor with 2 dims \(expected -2"):
        x.prod(2)


# ---------------------------------------------------------------------------------------------- einsum

EINSUM_CASES = [
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),            # batched matmul
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),         # batch dims of different ranks, broadcast
    ("...ij,...jk", [(2, 3, 4), (4, 5)]),                      # implicit output: '...ik'
    ("...i,...i->...", [(2, 3, 4), (3, 4)]),                   # a dot product per batch element
    ("...i,...i", [(2, 3), (1, 3)]),                           # implicit: 'i' is summed, '...' kept
    ("...ij->...ji", [(2, 3, 4)]),
    ("...ij->ij", [(2, 3, 4)]),                                # the batch summed out
    ("...ij->...", [(2, 3, 4)]),
    ("i...->...", [(3, 2, 4)]),                                # the ellipsis after the letters
    ("ij...,jk...->ik...", [(3, 4, 2), (4, 5, 1)]),
    ("ba,...", [(3, 4), (2,)]),                                # implicit: '...' first, then a, b
    ("...,...", [(2, 3), (3,)]),                               # letters for nothing: a broadcast product
    ("...->...", [()]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),        # (no ellipsis: as before)
    ("ii", [(3, 3)]),                                          # a trace
    ("ii->i", [(3, 3)]),                                       # a diagonal
    ("...ii->...i", [(2, 3, 3)]),                              # a batch of diagonals
    ("iji,j->ij", [(3, 2, 3), (2,)]),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("equation,shapes", EINSUM_CASES)
def test_einsum_values_and_gradients_are_pytorchs(equation, shapes, dtype) -> None:
    rng = np.random.default_rng(len(equation))
    ours, theirs = zip(*(pair(rng.standard_normal(s), dtype) for s in shapes))
    y, yt = al.einsum(equation, *ours), torch.einsum(equation, *theirs)
    assert_same(y, yt, dtype)
    w = rng.standard_normal(y.shape).astype(dtype)
    (y * al.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    for x, xt in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("equation,shapes", [c for c in EINSUM_CASES if c[0] in (
    "...ij,...jk->...ik", "...i,...i", "ba,...", "ij...,jk...->ik...", "...ii->...i", "iji,j->ij")])
def test_einsum_gradcheck_and_gradgradcheck(equation, shapes) -> None:
    rng = np.random.default_rng(1)
    xs = tuple(al.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)
    f = lambda *t: al.einsum(equation, *t)  # noqa: E731
    assert al.gradcheck(f, xs) and al.gradgradcheck(f, xs)


@pytest.mark.parametrize("sublists", [
    ([0, 1, 2], [2, 3], [0, 1, 3]),
    ([0, 1, 2], [2, 3]),                                       # implicit output
    ([Ellipsis, 1, 2], [2, 3], [Ellipsis, 1, 3]),
    ([Ellipsis, 1, 2], [2, 3]),
    ([Ellipsis, 30, 2], [2, 3]),                               # 30 is after 3 (PyTorch's order: 'A'..'Z', 'a'..'z')
])
def test_einsum_sublist_form(sublists) -> None:
    rng = np.random.default_rng(2)
    ours, theirs = zip(*(pair(rng.standard_normal(s)) for s in [(2, 3, 4), (4, 5)]))
    args = [v for pair_ in zip(ours, sublists) for v in pair_] + list(sublists[2:])
    targs = [v for pair_ in zip(theirs, sublists) for v in pair_] + list(sublists[2:])
    y, yt = al.einsum(*args), torch.einsum(*targs)
    assert_same(y, yt)
    y.sum().backward()
    yt.sum().backward()
    for x, xt in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), **TOL["float64"])


@pytest.mark.parametrize("call,match", [
    (lambda: al.einsum("i.j", al.ones(2, 2)), r"einsum: found a '\.' in 'i\.j' .* expected at most one '\.\.\.'"),
    (lambda: al.einsum("...i...", al.ones(2, 2)), r"not part of one '\.\.\.'"),
    (lambda: al.einsum("...ijk", al.ones(2, 2)), r"subscripts '\.\.\.ijk' name 3 dims, got operand 0 of shape "
                                                  r"\(2, 2\); expected at least 3 dims"),
    (lambda: al.einsum("...ij,...jk", al.ones(2, 3, 4), al.ones(3, 4, 5)),
     r"einsum: a dim of '\.\.\.' has size 2 in one operand and 3 in another"),
    (lambda: al.einsum("ii", al.ones(2, 3)), r"index 'i' is repeated in subscripts 'ii' for dims of sizes 2 and 3"),
    (lambda: al.einsum(al.ones(2), [52]), r"expected subscripts in \[0, 52\) or Ellipsis in a sublist, got 52"),
])
def test_einsum_errors_name_the_op_what_was_got_and_what_was_expected(call, match) -> None:
    with pytest.raises(RuntimeError, match=match):
        call()


# ---------------------------------------------------------------------------------------------- grad_fn names


def leaf(m, *shape, seed: int = 0):
    return m.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# Small programs whose result's node PyTorch names as ours: (id, program of the module m and its functional f).
SAME_NAME = {
    "mul": lambda m, f: leaf(m, 3) * leaf(m, 3),
    "mul-number": lambda m, f: leaf(m, 3) * 2,
    "add": lambda m, f: leaf(m, 3) + 1,
    "sub": lambda m, f: leaf(m, 3) - leaf(m, 3),
    "rsub": lambda m, f: 2 - leaf(m, 3),
    "div": lambda m, f: leaf(m, 3) / leaf(m, 3),
    "neg": lambda m, f: -leaf(m, 3),
    "pow-number": lambda m, f: leaf(m, 3) ** 2,
    "pow-tensor": lambda m, f: leaf(m, 3).abs() ** leaf(m, 3),
    "pow-of-number": lambda m, f: 2 ** leaf(m, 3),
    "exp": lambda m, f: leaf(m, 3).exp(),
    "log1p": lambda m, f: leaf(m, 3).abs().log1p(),
    "tanh": lambda m, f: leaf(m, 3).tanh(),
    "sigmoid": lambda m, f: leaf(m, 3).sigmoid(),
    "relu": lambda m, f: f.relu(leaf(m, 3)),
    "round": lambda m, f: leaf(m, 3).round(),
    "round-decimals": lambda m, f: leaf(m, 3).round(decimals=2),
    "clamp-numbers": lambda m, f: leaf(m, 3).clamp(-1, 1),
    "clamp-tensors": lambda m, f: leaf(m, 3).clamp(min=leaf(m, 3)),
    "where": lambda m, f: m.where(m.tensor([True, False, True]), leaf(m, 3), leaf(m, 3)),
    "sum": lambda m, f: leaf(m, 3, 2).sum(),
    "sum-dim": lambda m, f: leaf(m, 3, 2).sum(0),
    "mean": lambda m, f: leaf(m, 3, 2).mean(),
    "mean-dims": lambda m, f: leaf(m, 3, 2).mean((0, 1), keepdim=True),
    "prod": lambda m, f: leaf(m, 3, 2).prod(),
    "prod-dim": lambda m, f: leaf(m, 3, 2).prod(1),
    "amax": lambda m, f: leaf(m, 3, 2).amax(0),
    "max": lambda m, f: leaf(m, 3, 2).max(),
    "min": lambda m, f: leaf(m, 3, 2).min(),
    "cumsum": lambda m, f: leaf(m, 3).cumsum(0),
    "logsumexp": lambda m, f: leaf(m, 3, 2).logsumexp(1),
    "norm": lambda m, f: leaf(m, 3, 2).norm(),
    "mm": lambda m, f: leaf(m, 4, 3) @ leaf(m, 3, 2),
    "mv": lambda m, f: leaf(m, 4, 3) @ leaf(m, 3),
    "dot": lambda m, f: leaf(m, 3) @ leaf(m, 3),
    "bmm": lambda m, f: leaf(m, 2, 4, 3).bmm(leaf(m, 2, 3, 2)),
    "linear": lambda m, f: f.linear(leaf(m, 4, 3), leaf(m, 2, 3), leaf(m, 2)),
    "linear-no-bias": lambda m, f: f.linear(leaf(m, 4, 3), leaf(m, 2, 3)),
    "view": lambda m, f: leaf(m, 3, 2).view(6),
    "flatten": lambda m, f: leaf(m, 3, 2).flatten(),
    "unsqueeze": lambda m, f: leaf(m, 3, 2).unsqueeze(1),
    "squeeze-dim": lambda m, f: leaf(m, 3, 1).squeeze(1),
    "t": lambda m, f: leaf(m, 3, 2).t(),
    "transpose": lambda m, f: leaf(m, 3, 2, 2).transpose(0, 2),
    "permute": lambda m, f: leaf(m, 3, 2, 2).permute(2, 0, 1),
    "expand": lambda m, f: leaf(m, 3, 1).expand(3, 4),
    "select": lambda m, f: leaf(m, 3, 2)[0],
    "select-last": lambda m, f: leaf(m, 3, 2)[1:, 0],
    "slice": lambda m, f: leaf(m, 3, 2)[1:],
    "slice-whole": lambda m, f: leaf(m, 3, 2)[:],
    "slice-last": lambda m, f: leaf(m, 3, 2)[0, 1:],
    "index": lambda m, f: leaf(m, 3, 2)[m.tensor([0, 2])],
    "index-mask": lambda m, f: leaf(m, 3, 2)[m.tensor([True, False, True])],
    "index-none": lambda m, f: leaf(m, 3, 2)[None],
    "alias": lambda m, f: leaf(m, 3, 2)[...],
    "cat": lambda m, f: m.cat([leaf(m, 3, 2), leaf(m, 3, 2)]),
    "clone": lambda m, f: leaf(m, 3).clone(),
    "contiguous": lambda m, f: leaf(m, 3, 2).t().contiguous(),
    "to": lambda m, f: leaf(m, 3).float(),
    "flip": lambda m, f: leaf(m, 3, 2).flip(0),
    "roll": lambda m, f: leaf(m, 3, 2).roll(1, 0),
    "repeat": lambda m, f: leaf(m, 3, 2).repeat(2, 1),
    "tril": lambda m, f: leaf(m, 3, 3).tril(),
    "gather": lambda m, f: leaf(m, 3, 2).gather(1, m.tensor([[0], [1], [0]])),
    "pad": lambda m, f: f.pad(leaf(m, 3, 2), (1, 1)),
    "softmax": lambda m, f: f.softmax(leaf(m, 3, 2), 1),
    "log_softmax": lambda m, f: f.log_softmax(leaf(m, 3, 2), 1),
    "nll_loss": lambda m, f: f.nll_loss(leaf(m, 4, 3), m.tensor([0, 1, 2, 1])),
    "cross_entropy": lambda m, f: f.cross_entropy(leaf(m, 4, 3), m.tensor([0, 1, 2, 1])),
    "binary_cross_entropy": lambda m, f: f.binary_cross_entropy(leaf(m, 3).sigmoid(), m.tensor([0.0, 1.0, 1.0],
                                                                 dtype=m.float64), reduction="none"),
    "softplus": lambda m, f: f.softplus(leaf(m, 3)),
    "elu": lambda m, f: f.elu(leaf(m, 3)),
    "leaky_relu": lambda m, f: f.leaky_relu(leaf(m, 3)),
    "conv2d": lambda m, f: f.conv2d(leaf(m, 1, 2, 5, 5), leaf(m, 3, 2, 3, 3), leaf(m, 3)),
    "max_pool2d": lambda m, f: f.max_pool2d(leaf(m, 1, 2, 4, 4), 2),
    "avg_pool2d": lambda m, f: f.avg_pool2d(leaf(m, 1, 2, 4, 4), 2),
    "setitem-index": lambda m, f: setitem(leaf(m, 3, 2) * 1, m.tensor([True, False, True])),
    "setitem-int": lambda m, f: setitem(leaf(m, 3, 2) * 1, 0),
}


def setitem(x, index):
    x[index] = 0.0
    return x


@pytest.mark.parametrize("program", SAME_NAME.values(), ids=SAME_NAME.keys())
def test_grad_fn_names_are_pytorchs(program) -> None:
    ours, theirs = program(al, nn.functional), program(torch, torch.nn.functional)
    assert ours.grad_fn.name() == type(theirs.grad_fn).__name__


def test_the_name_does_not_change_with_backward_for_attribute_overloads() -> None:
    x = leaf(al, 3, 2)
    y = x.sum(0)
    z = y.prod()
    z.backward()                                    # the graph is freed: the name comes from the attributes
    assert (y.grad_fn.name(), z.grad_fn.name()) == ("SumBackward1", "ProdBackward0")


def test_repr_is_pytorchs() -> None:
    y = leaf(al, 3) * 2
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert repr(y).endswith("grad_fn=<MulBackward0>)")        # the tensor shows the name, as PyTorch's
    acc = y.grad_fn.next_functions[0][0]
    assert acc.name() == "AccumulateGrad" and re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(acc))
    assert (y.grad_fn.next_functions[1][0], y.grad_fn.next_functions[1][1]) == (None, 0)     # the number


def test_an_op_without_an_entry_is_named_in_camel_case_with_a_0() -> None:
    assert al.einsum("ij->j", leaf(al, 2, 3)).grad_fn.name() == "EinsumBackward0"
    x = leaf(al, 3)
    (g,) = al.grad((x[1:] ** 2).sum(), x, create_graph=True)     # slicing's gradient, recorded
    assert g.grad_fn.name() == "GetitemBackwardBackward0"


def test_our_fused_lstm_cell_is_named_as_pytorchs_fused_cell() -> None:
    out, _ = nn.LSTM(3, 4)(al.ones(1, 2, 3))
    names, todo = [], [out.grad_fn]
    while todo:
        fn = todo.pop()
        names.append(fn.name())
        todo += [f for f, _ in fn.next_functions if f is not None]
    assert "ThnnFusedLstmCellBackward0" in names and "AddmmBackward0" in names


def walk(fn, torch_graph: bool = False):
    """The graph below `fn` as nested (name, children), children that need no gradient (None) left out. PyTorch's
    graph is brought to ours where the structure legitimately differs:
      - linear: PyTorch's AddmmBackward0(bias, input, TBackward0(weight)) is our one node (input, weight, bias):
        the weight's TBackward0 (a transpose inside the layer) is dropped and the inputs put in our order;
      - chunk (LSTM gates): PyTorch's UnsafeSplitBackward0 is our slice, SliceBackward0."""
    name = fn.name() if not torch_graph else type(fn).__name__
    kids = [f for f, _ in fn.next_functions if f is not None]
    if torch_graph:
        kids = [f.next_functions[0][0] if type(f).__name__ == "TBackward0" and
                type(f.next_functions[0][0]).__name__ == "AccumulateGrad" else f for f in kids]
        if name in ("AddmmBackward0",) and len(kids) == 3:
            kids = kids[1:] + kids[:1]                      # (bias, input, weight) -> (input, weight, bias)
        name = {"UnsafeSplitBackward0": "SliceBackward0"}.get(name, name)
    return name, tuple(walk(f, torch_graph) for f in kids)


def names_in_order(tree) -> list[str]:
    name, kids = tree
    return [name] + [n for k in kids for n in names_in_order(k)]


def test_a_mlp_walked_from_the_loss_names_pytorchs_nodes() -> None:
    def program(m, f, torch_nn):
        torch_nn_seq = torch_nn.Sequential(torch_nn.Linear(4, 8), torch_nn.ReLU(), torch_nn.Linear(8, 3))
        x = m.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
        return f.cross_entropy(torch_nn_seq(x), m.tensor([0, 1, 2, 1, 0]))

    ours, theirs = program(al, nn.functional, nn), program(torch, torch.nn.functional, torch.nn)
    ours_tree, theirs_tree = walk(ours.grad_fn), walk(theirs.grad_fn, torch_graph=True)
    assert names_in_order(ours_tree) == names_in_order(theirs_tree) == [
        "NllLossBackward0", "LogSoftmaxBackward0", "AddmmBackward0", "ReluBackward0", "AddmmBackward0",
        "AccumulateGrad", "AccumulateGrad", "AccumulateGrad", "AccumulateGrad"]
    assert ours_tree == theirs_tree


def test_a_small_cnn_walked_from_the_loss_names_pytorchs_nodes() -> None:
    def program(m, f, mods):
        model = mods.Sequential(mods.Conv2d(1, 2, 3), mods.ReLU(), mods.MaxPool2d(2), mods.Flatten(),
                                mods.Linear(8, 3))
        x = m.tensor(np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32))
        return f.cross_entropy(model(x), m.tensor([0, 2]))

    ours, theirs = program(al, nn.functional, nn), program(torch, torch.nn.functional, torch.nn)
    assert walk(ours.grad_fn) == walk(theirs.grad_fn, torch_graph=True)
    assert names_in_order(walk(ours.grad_fn))[:7] == [
        "NllLossBackward0", "LogSoftmaxBackward0", "AddmmBackward0", "ViewBackward0",
        "MaxPool2DWithIndicesBackward0", "ReluBackward0", "ConvolutionBackward0"]


def test_an_lstm_cell_step_walked_from_its_output_names_pytorchs_nodes() -> None:
    # PyTorch's LSTMCell adds the hidden-to-hidden product to the input-to-hidden one, ours the other way round,
    # so each node's children are compared as a set (sorted).
    def canonical(tree):
        name, kids = tree
        return name, tuple(sorted(canonical(k) for k in kids))

    def program(m, mods):
        cell = mods.LSTMCell(3, 4)
        x = m.tensor(np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32), requires_grad=True)
        return cell(x)[0]

    ours, theirs = program(al, nn), program(torch, torch.nn)
    assert canonical(walk(ours.grad_fn)) == canonical(walk(theirs.grad_fn, torch_graph=True))


# Where our graph differs from PyTorch's in structure (we compose or fuse otherwise), our nodes are named after
# what they compute: (program, our name, PyTorch's).
DIFFERENT = {
    "stack": (lambda m, f: m.stack([leaf(m, 2), leaf(m, 2)]), "CatBackward0", "StackBackward0"),   # cat of views
    "var": (lambda m, f: leaf(m, 3).var(), "DivBackward0", "VarBackward0"),           # a composite
    "std": (lambda m, f: leaf(m, 3).std(), "SqrtBackward0", "StdBackward0"),          # sqrt of that composite
    "max-dim": (lambda m, f: leaf(m, 3, 2).max(0)[0], "SqueezeBackward1", "MaxBackward0"),   # gather, squeezed
    "gelu": (lambda m, f: f.gelu(leaf(m, 3)), "MulBackward0", "GeluBackward0"),
    "mse": (lambda m, f: f.mse_loss(leaf(m, 3), leaf(m, 3)), "MeanBackward0", "MseLossBackward0"),
    "masked_fill": (lambda m, f: leaf(m, 3).masked_fill(m.tensor([True, False, True]), 0.0), "WhereBackward0",
                    "MaskedFillBackward0"),
    "x.T": (lambda m, f: leaf(m, 3, 2).T, "TBackward0", "PermuteBackward0"),          # x.T and x.t() are one call
    "batched @": (lambda m, f: leaf(m, 2, 4, 3) @ leaf(m, 3, 2), "MmBackward0", "UnsafeViewBackward0"),   # views
    "linear 3-d": (lambda m, f: f.linear(leaf(m, 5, 4, 3), leaf(m, 2, 3), leaf(m, 2)), "AddmmBackward0",
                   "ViewBackward0"),                                                # around the addmm
    "einsum": (lambda m, f: m.einsum("ij,jk->ik", leaf(m, 2, 3), leaf(m, 3, 2)), "EinsumBackward0",
               "ViewBackward0"),                                                    # PyTorch's is a composite
}


@pytest.mark.parametrize("program,ours_name,theirs_name", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_where_the_graphs_differ_the_names_say_what_our_node_computes(program, ours_name, theirs_name) -> None:
    assert program(al, nn.functional).grad_fn.name() == ours_name
    assert type(program(torch, torch.nn.functional).grad_fn).__name__ == theirs_name


def test_a_function_keeps_pytorchs_name_without_a_number() -> None:
    class Cube(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    assert Cube.apply(leaf(al, 3)).grad_fn.name() == "CubeBackward"
