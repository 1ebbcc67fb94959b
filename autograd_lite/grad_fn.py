"""What PyTorch code asks of a `grad_fn`: its name (PyTorch's, `MulBackward0`), its `next_functions` (the graph,
walked by hand), a leaf's `AccumulateGrad`, and the graph's structure, which stays after backward frees its arrays.

Skip on a first reading: `engine.Node` inherits these to describe the graph (as PyTorch's autograd tutorial walks
it, `loss.grad_fn.next_functions[0][0]`, and as viz.py draws it). The backward pass calls only `release`, which
frees what only backward needed and keeps which inputs each node had: PyTorch keeps its graph's nodes after backward
too, so that a student can train, then look at what was computed.

Names: PyTorch names the backward of each of its ops after the op, numbered by overload (`x.sum()` makes a
`SumBackward0`, `x.sum(dim)` a `SumBackward1`). Ours are PyTorch's for the same call: the op's name in CamelCase
with a 0 (`tanh`: TanhBackward0), or the entry of `PYTORCH_NAMES` where PyTorch's op is named otherwise or its
overload depends on the call. Where PyTorch decomposes an op into several nodes and we record one (a batched `@`:
views around a `bmm`; `linear`: a `TBackward0` of the weight under its `AddmmBackward0`), ours is named after the
node that does the work. Where we compose an op of several primitives and PyTorch has one (`stack`, `var`, `gelu`,
`mse_loss`), the nodes are named after those primitives. A name that depends on the inputs (pow's overload; @'s mm,
mv, dot or bmm; a reshape that is an unsqueeze) is found from them, or after backward from what the node kept of them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any


def _is_tensor(x: Any) -> bool:
    """Is `x`, an input of a node, a tensor (not a number or None)? After backward: what stands for one."""
    return hasattr(x, "grad_fn") or isinstance(x, (GradFn, LeafRef))


def _input_is_tensor(node: Any, i: int) -> bool:
    return _is_tensor(node.graph_inputs()[i])


def _shape(x: Any) -> tuple | None:
    """The shape of a node's input: a tensor's (an array's), or after backward what its node or LeafRef remembered
    (None for a number)."""
    if isinstance(x, GradFn):
        return x.output_info[0]  # type: ignore[attr-defined]
    return tuple(x.shape) if hasattr(x, "shape") else None


def _matmul(node: Any) -> str:
    """The matrix product at the heart of PyTorch's matmul for these ranks (around it, PyTorch's views)."""
    shapes = [_shape(x) for x in node.graph_inputs()]
    if None in shapes:
        return "MmBackward0"
    a, b = (len(s) for s in shapes)
    if b == 1:
        return "DotBackward0" if a == 1 else "MvBackward0"
    if a == 1:
        return "MmBackward0" if b == 2 else "MvBackward0"
    return "MmBackward0" if 2 in (a, b) else "BmmBackward0"


def _reshape(node: Any) -> str:
    # A reshape that only adds one dim of size 1 is x.unsqueeze(d); one that only drops them, x.squeeze(d) (one)
    # or x.squeeze() (more). Any other is a view.
    before, after = _shape(node.graph_inputs()[0]), tuple(node.attrs["shape"])
    if before is not None:
        if [n for n in before if n != 1] == [n for n in after if n != 1]:
            added = len(after) - len(before)
            if added == 1 or added < 0:
                return "UnsqueezeBackward0" if added == 1 else "SqueezeBackward1" if added == -1 else "SqueezeBackward0"
    return "ViewBackward0"


def _permute(node: Any) -> str:
    # (1, 0) is x.t() (and linear's transposed weight); x.T is the same call here, PyTorch's PermuteBackward0.
    dims = tuple(node.attrs["dims"])
    if dims == (1, 0):
        return "TBackward0"
    return "TransposeBackward0" if sum(i != d for i, d in enumerate(dims)) == 2 else "PermuteBackward0"


def _getitem(node: Any) -> str:
    # PyTorch reads x[index] one part at a time (x[0, 1:] is a select, then a slice): the last part that does
    # something names the result's node; index arrays and masks come last, as one IndexBackward0.
    index = node.attrs["index"]
    parts = index if type(index) is tuple else (index,)
    if any(getattr(p, "ndim", 0) for p in parts):
        return "IndexBackward0"
    if type(index) is slice:
        return "SliceBackward0"                 # x[:] too: a lone slice is always taken
    name = "AliasBackward0"                     # x[...], x[:, :]: the whole tensor
    for p in parts:
        if p is None:
            name = "UnsqueezeBackward0"
        elif type(p) is slice:
            name = name if p == slice(None) else "SliceBackward0"
        elif p is not Ellipsis:
            name = "SelectBackward0"            # an int
    return name


def _index_put(node: Any) -> str:
    # x[mask] = v, x[indices] = v: IndexPutBackward0; x[0] = v, x[1:] = v (a copy into a view): CopySlices;
    # fill_ and zero_ (all of x): FillBackward2 (PyTorch's zero_ is a ZeroBackward0).
    index = node.attrs["index"]
    if index is Ellipsis:
        return "FillBackward2"
    parts = index if type(index) is tuple else (index,)
    return "IndexPutBackward0" if all(getattr(p, "ndim", 0) for p in parts) else "CopySlices"


def _pool(template: str) -> Callable[[Any], str]:
    """Pooling, named for its dims (a 1-d input is pooled as a 2-d one in PyTorch, and squeezed after: 2D)."""
    return lambda node: template.format(max(len(node.attrs["kernel"] if "kernel" in node.attrs
                                                else node.attrs["argmax"].kernel), 2))


def _dims(name: str) -> Callable[[Any], str]:
    """A reduction: overload 0 over all elements (`x.sum()`), 1 over dims (`x.sum(dim)`)."""
    return lambda node: f"{name}Backward{0 if node.attrs.get('dim') is None else 1}"


# Our op's name -> PyTorch's name for its backward, or a function of the node giving it (its attributes, its inputs).
PYTORCH_NAMES: dict[str, str | Callable[[Any], str]] = {
    "sum": _dims("Sum"),
    "mean": _dims("Mean"),
    "prod": _dims("Prod"),
    "amax": lambda n: "AmaxBackward0" if n.attrs else "MaxBackward1",      # x.amax(dim) / x.max()
    "amin": lambda n: "AminBackward0" if n.attrs else "MinBackward1",
    "log1p": "Log1PBackward0",
    "round": lambda n: "RoundBackward1" if n.attrs.get("decimals") else "RoundBackward0",
    "pow": lambda n: ("PowBackward2" if not _input_is_tensor(n, 0) else       # 2 ** x
                      "PowBackward1" if _input_is_tensor(n, 1) else "PowBackward0"),   # x ** y / x ** 2
    "sub": lambda n: "SubBackward0" if _input_is_tensor(n, 0) else "RsubBackward1",   # x - y / 2 - x
    "clamp": lambda n: ("ClampBackward0" if any(_is_tensor(b) for b in n.graph_inputs()[1:])
                        else "ClampBackward1"),                     # tensor bounds / number bounds
    "matmul": _matmul,
    "linear": lambda n: "MmBackward0" if not _input_is_tensor(n, 2) else "AddmmBackward0",
    "reshape": _reshape,
    "permute": _permute,
    "broadcast_to": "ExpandBackward0",
    "cast": "ToCopyBackward0",
    "contiguous": "CloneBackward0",
    "pad": "ConstantPadNdBackward0",
    "getitem": _getitem,
    "index_put": _index_put,
    "gather_backward": "ScatterAddBackward0",
    "norm2": "LinalgVectorNormBackward0",
    "normp": "LinalgVectorNormBackward0",
    "std_sqrt": "SqrtBackward0",                # the last step of std (PyTorch's std is one StdBackward0)
    "conv": "ConvolutionBackward0",
    "max_pool": _pool("MaxPool{}DWithIndicesBackward0"),
    "avg_pool": _pool("AvgPool{}DBackward0"),
    "lstm_cell": "ThnnFusedLstmCellBackward0",  # PyTorch's fused LSTM cell
}


class GradFn:
    """The part of a node that describes it. (A base of `engine.Node`, whose slots it reads and, in `release`,
    writes: `inputs`, `arrays`, `saved`, and `kept_inputs` and `output_info`, which only `release` sets.)"""

    __slots__ = ()

    def release(self, used: Sequence[Any]) -> None:
        """Free what only backward needed, once this node's rules have run (backward calls it unless retain_graph=True):
        its input tensors as the rules `used` them, their arrays, what its forward saved; `inputs` becomes None (a
        second backward raises). The structure stays, as PyTorch's graph does: `kept_inputs` is `used` with each
        intermediate tensor replaced by its node, which remembers the tensor's shape, dtype and name (`output_info`),
        a leaf that needs no gradient (data, a dropout mask) held weakly (`LeafRef`: freed if nothing else holds it),
        and leaves that require grad (parameters, the user's inputs) and constants as they are."""
        kept = []
        for x in used:                     # (a loop: a comprehension costs more, and this runs for every node)
            node = getattr(x, "grad_fn", None)
            if node is not None:           # an intermediate tensor: its node stands for it from now on
                a = x.array
                node.output_info = (a.shape, a.dtype, x.name)
                kept.append(node)
            else:                          # a leaf, a constant; held weakly if a leaf needing no gradient
                kept.append(x if getattr(x, "_requires_grad", True) else LeafRef(x))
        self.kept_inputs = kept  # type: ignore[attr-defined]
        self.inputs = self.arrays = self.saved = None  # type: ignore[attr-defined]

    def graph_inputs(self) -> Sequence[Any]:
        """The inputs as the graph knows them: as the op used them; once backward has released the node, as it
        kept them (see `release`: a node in place of each intermediate tensor, a `LeafRef` for data)."""
        return self.used_inputs() if self.inputs is not None else self.kept_inputs  # type: ignore[attr-defined]

    def name(self) -> str:
        """PyTorch's name for the backward of this op: MulBackward0, SumBackward1 (see PYTORCH_NAMES); for an
        `autograd.Function`, its class's name and Backward, as PyTorch's (LegendrePolynomial3Backward)."""
        op, attrs = self.op.name, self.attrs  # type: ignore[attr-defined]
        if "ctx" in attrs:
            return op + "Backward"
        name = PYTORCH_NAMES.get(op)
        if name is None:
            return "".join(part[:1].upper() + part[1:] for part in op.split("_")) + "Backward0"
        return name if isinstance(name, str) else name(self)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """One (function, 0) pair per input, as PyTorch's: the input's `grad_fn`; an `AccumulateGrad` for a leaf
        that requires grad; None for the rest (numbers, tensors that need no gradient). The same after backward."""
        return tuple((x if isinstance(x, GradFn) else (x.grad_fn or AccumulateGrad(x))
                      if getattr(x, "_requires_grad", False) else None, 0) for x in self.graph_inputs())


class AccumulateGrad:
    """A leaf's end of the graph, as PyTorch's: where backward adds the gradient into `variable.grad`."""

    __slots__ = ("variable",)
    next_functions: tuple = ()

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


class LeafRef(weakref.ref):
    """A leaf that needs no gradient (data, a mask), as a node keeps it after backward (`GradFn.release`): weakly,
    so that backward still frees it when nothing else holds it, with its shape, dtype and name, which pictures draw.
    Call it for the tensor: None once it was freed."""

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, t: Any) -> None:
        super().__init__(t)
        self.shape, self.dtype, self.name = tuple(t.shape), t.dtype, t.name
