"""Module-level forms of the tensor operations (`autograd_lite.exp(x)`, `cat`, `stack`, `where`, ...).

Single-tensor functions are one line each: the Tensor method of the same name, or the op's primitive.
Functions of several tensors (cat, stack, einsum, where with a number) and of layers (linear, nll_loss,
binary_cross_entropy, fused_lstm_cell), and pad, own their logic here. Convolution and pooling live in
convolution.py and are imported here too, so `functions.conv2d` still works. This module calls the
Tensor's methods; tensor.py never calls it.
"""

from __future__ import annotations

import builtins
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import forwards, ops, promotion
from .checks import array_of, broadcast_shape, check_number, check_same_dtype, norm_dim
from .convolution import adaptive_avg_pool2d as adaptive_avg_pool2d
from .convolution import avg_pool2d as avg_pool2d
from .convolution import conv1d as conv1d
from .convolution import conv2d as conv2d
from .convolution import max_pool2d as max_pool2d
from .errors import DTypeError, ShapeError, is_int
from .indexing import bool_array
from .tensor import SortResult as SortResult
from .tensor import Tensor, tensor_arg, wrap


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """`data` as a Tensor: returned as is if it already is one (and of `dtype`); a NumPy array of the
    right dtype is shared, not copied (changes to either show in the other), as torch.as_tensor."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return wrap(array_of(data, dtype, False, "as_tensor"))


# ------------------------------------------------------------------ elementwise
def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    return tensor_arg(input, "add").add(other, alpha=alpha)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    return tensor_arg(input, "sub").sub(other, alpha=alpha)


def mul(input: Any, other: Any) -> Tensor:
    return ops.mul(tensor_arg(input, "mul"), other)


def div(input: Any, other: Any) -> Tensor:
    return ops.div(tensor_arg(input, "div"), other)


def neg(input: Any) -> Tensor:
    return ops.neg(tensor_arg(input, "neg"))


def pow(input: Any, exponent: Any) -> Tensor:
    if isinstance(input, Tensor):
        return ops.pow(input, exponent)
    return ops.pow(input, tensor_arg(exponent, "pow"))     # a number raised to a tensor power


def erf(input: Any) -> Tensor:
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t^2) dt."""
    return ops.erf(tensor_arg(input, "erf"))


def exp(input: Any) -> Tensor:
    return ops.exp(tensor_arg(input, "exp"))


def log(input: Any) -> Tensor:
    return ops.log(tensor_arg(input, "log"))


def log1p(input: Any) -> Tensor:
    return ops.log1p(tensor_arg(input, "log1p"))


def expm1(input: Any) -> Tensor:
    return ops.expm1(tensor_arg(input, "expm1"))


def sqrt(input: Any) -> Tensor:
    return ops.sqrt(tensor_arg(input, "sqrt"))


def rsqrt(input: Any) -> Tensor:
    return ops.rsqrt(tensor_arg(input, "rsqrt"))


def reciprocal(input: Any) -> Tensor:
    return ops.reciprocal(tensor_arg(input, "reciprocal"))


def abs(input: Any) -> Tensor:
    return ops.abs(tensor_arg(input, "abs"))


def sign(input: Any) -> Tensor:
    return ops.sign(tensor_arg(input, "sign"))


def sin(input: Any) -> Tensor:
    return ops.sin(tensor_arg(input, "sin"))


def cos(input: Any) -> Tensor:
    return ops.cos(tensor_arg(input, "cos"))


def tanh(input: Any) -> Tensor:
    return ops.tanh(tensor_arg(input, "tanh"))


def sigmoid(input: Any) -> Tensor:
    return ops.sigmoid(tensor_arg(input, "sigmoid"))


def relu(input: Any) -> Tensor:
    return ops.relu(tensor_arg(input, "relu"))


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    return ops.leaky_relu(tensor_arg(input, "leaky_relu"), negative_slope=negative_slope)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    return ops.elu(tensor_arg(input, "elu"), alpha=alpha)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return ops.softplus(tensor_arg(input, "softplus"), beta=beta, threshold=threshold)


def floor(input: Any) -> Tensor:
    return ops.floor(tensor_arg(input, "floor"))


def ceil(input: Any) -> Tensor:
    return ops.ceil(tensor_arg(input, "ceil"))


def trunc(input: Any) -> Tensor:
    return ops.trunc(tensor_arg(input, "trunc"))


def round(input: Any, *, decimals: int = 0) -> Tensor:  # noqa: A001
    return tensor_arg(input, "round").round(decimals=decimals)


def maximum(input: Any, other: Any) -> Tensor:
    return ops.maximum(tensor_arg(input, "maximum"), tensor_arg(other, "maximum"))       # (no numbers, as PyTorch's)


def minimum(input: Any, other: Any) -> Tensor:
    return ops.minimum(tensor_arg(input, "minimum"), tensor_arg(other, "minimum"))


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
    return tensor_arg(input, "clamp").clamp(min, max)


clip = clamp


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """Elementwise `input if condition else other`; the gradient goes to the chosen side. With the
    condition alone, `nonzero(condition, as_tuple=True)`, as PyTorch's."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if isinstance(input, Tensor):
        return input.where(condition, other)
    cond = bool_array("where", "condition", condition)     # a number as input: where(c, 1.0, x)
    check_number("where", input)                         # (a tensor or a number, as PyTorch's: not a list)
    if not isinstance(other, Tensor):                    # where(c, 1.0, 0): numbers
        check_number("where", other)
        input = wrap(array_of(input, None, True, "where"))
    return ops.where(cond, input, other)


# ------------------------------------------------------------------ comparisons and tests (no gradient)
def eq(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "eq") == other


def ne(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "ne") != other


def lt(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "lt") < other


def le(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "le") <= other


def gt(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "gt") > other


def ge(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "ge") >= other


def isnan(input: Any) -> Tensor:
    return tensor_arg(input, "isnan").isnan()


def isfinite(input: Any) -> Tensor:
    return tensor_arg(input, "isfinite").isfinite()


def isinf(input: Any) -> Tensor:
    return tensor_arg(input, "isinf").isinf()


def allclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    return tensor_arg(input, "allclose").allclose(other, rtol, atol, equal_nan)


def isclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    return tensor_arg(input, "isclose").isclose(other, rtol, atol, equal_nan)


def equal(input: Any, other: Any) -> bool:
    return tensor_arg(input, "equal").equal(other)


def logical_not(input: Any) -> Tensor:
    return tensor_arg(input, "logical_not").logical_not()


def logical_and(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "logical_and").logical_and(other)


def logical_or(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "logical_or").logical_or(other)


def logical_xor(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "logical_xor").logical_xor(other)


def masked_select(input: Any, mask: Any) -> Tensor:
    return tensor_arg(input, "masked_select").masked_select(mask)


def clone(input: Any) -> Tensor:
    return tensor_arg(input, "clone").clone()


def numel(input: Any) -> int:
    return tensor_arg(input, "numel").numel()


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Any) -> bool:
    return tensor_arg(input, "is_floating_point").is_floating_point()


def square(input: Any) -> Tensor:
    return tensor_arg(input, "square").square()


def t(input: Any) -> Tensor:
    return tensor_arg(input, "t").t()


def dot(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "dot").dot(other)


def outer(input: Any, vec2: Any) -> Tensor:
    return tensor_arg(input, "outer").outer(vec2)


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
    return tensor_arg(input, "addmm").addmm(mat1, mat2, beta=beta, alpha=alpha)


def lerp(input: Any, end: Any, weight: Any) -> Tensor:
    return tensor_arg(input, "lerp").lerp(end, weight)


# ------------------------------------------------------------------ matrix products
def matmul(input: Any, other: Any) -> Tensor:
    return tensor_arg(input, "matmul").matmul(tensor_arg(other, "matmul"))


def mm(input: Any, mat2: Any) -> Tensor:
    return tensor_arg(input, "mm").mm(mat2)


def bmm(input: Any, mat2: Any) -> Tensor:
    return tensor_arg(input, "bmm").bmm(mat2)


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation, as torch.einsum: einsum('ij,jk->ik', a, b) is a @ b; without '->' the output is the
    indices used once, in alphabetical order (after the dims of '...'). '...' stands for the dims an operand's
    letters do not name, broadcast between the operands ('...ij,...jk->...ik' is a batched @); an index repeated
    within one operand reads its diagonal ('ii->' is the trace). Also PyTorch's sublist form,
    einsum(a, [0, 1], b, [1, 2], [0, 2]) (ints 0 to 51, Ellipsis for '...'). Differentiable in every operand."""
    if not isinstance(equation, str):
        equation, operands = _einsum_sublists((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    xs = [tensor_arg(x, "einsum") for x in operands]
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    given = lhs.split(",")
    if len(given) != len(xs):
        raise ShapeError(f"einsum: {equation!r} names {len(given)} operands, got {len(xs)}")
    for sub in given + [rhs]:
        if "." in sub and (sub.count(".") != 3 or "..." not in sub):
            raise ShapeError(f"einsum: found a '.' in {sub!r} (in {equation!r}) that is not part of one '...'; "
                             f"expected at most one '...' (ellipsis) per operand and in the output")
    inputs, output = forwards.einsum_parts(equation, [x.ndim for x in xs])
    sizes: dict[str, int] = {}
    shapes = [tuple(x.shape) for x in xs]
    for k, (sub, x) in enumerate(zip(inputs, xs)):
        if len(sub) != x.ndim:
            named = len(given[k].replace("...", ""))
            raise ShapeError(f"einsum: subscripts {given[k]!r} name {named} dims, got operand {k} of shape "
                             f"{tuple(x.shape)}; expected {'at least ' if '...' in given[k] else ''}{named} dims")
        if len(set(sub)) != len(sub):
            xs[k], sub = _einsum_diagonal(x, sub, given[k])
            inputs[k] = sub
        for c, n in zip(sub, xs[k].shape):
            if sizes.setdefault(c, n) != n and 1 in (sizes[c], n):      # size 1 broadcasts, as PyTorch's
                sizes[c] = builtins.max(sizes[c], n)
            elif sizes[c] != n:
                what = f"index {c!r} has" if c in equation else "a dim of '...' has"
                raise ShapeError(f"einsum: {what} size {sizes[c]} in one operand and {n} in another "
                                 f"({equation!r}, shapes {shapes})")
    if builtins.any(c not in sizes for c in output) or len(set(output)) != len(output):
        raise ShapeError(f"einsum: output subscripts {rhs!r} must be distinct and appear in the inputs")
    check_same_dtype("einsum", *xs)
    return ops.einsum(*xs, equation=",".join(inputs) + "->" + output)


def _einsum_sublists(args: tuple) -> tuple[str, tuple]:
    """PyTorch's sublist form, einsum(a, [0, 1], b, [1, 2], [0, 2]): the equation ('AB,BC->AC') and the operands."""
    def letters(sub: Any) -> str:
        if not isinstance(sub, (list, tuple)):
            raise TypeError(f"einsum: expected a list of subscripts after each operand, got {type(sub).__name__}")
        for s in sub:
            if s is not Ellipsis and not (is_int(s) and 0 <= s < len(forwards.EINSUM_LETTERS)):
                raise ShapeError(f"einsum: expected subscripts in [0, 52) or Ellipsis in a sublist, got {s!r}")
        return "".join("..." if s is Ellipsis else forwards.EINSUM_LETTERS[s] for s in sub)

    operands, subs = args[0:len(args) - len(args) % 2:2], args[1::2]
    equation = ",".join(letters(s) for s in subs[:len(operands)])
    return equation + ("->" + letters(args[-1]) if len(args) % 2 else ""), operands


def _einsum_diagonal(x: Tensor, sub: str, given: str) -> tuple[Tensor, str]:
    """An operand whose subscripts repeat an index ('ii'): its diagonal, read with one index array per dim (for
    'ii' of a 3x3 matrix, x[[0, 1, 2], [0, 1, 2]]), and its subscripts without the repeats ('i')."""
    unique = "".join(dict.fromkeys(sub))
    size = {c: x.shape[sub.index(c)] for c in unique}
    for c, n in zip(sub, x.shape):
        if n != size[c]:
            raise ShapeError(f"einsum: index {c!r} is repeated in subscripts {given!r} for dims of sizes {size[c]} "
                             f"and {n} (shape {tuple(x.shape)}); expected the same size, to read a diagonal")
    return x[tuple(np.arange(size[c]).reshape([size[c] if d == c else 1 for d in unique]) for c in sub)], unique


# ------------------------------------------------------------------ reductions and sorting
def sum(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return tensor_arg(input, "sum").sum(dim, keepdim, **kw)


def prod(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return tensor_arg(input, "prod").prod(dim, keepdim, **kw)


def mean(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return tensor_arg(input, "mean").mean(dim, keepdim, **kw)


def amax(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return tensor_arg(input, "amax").amax(dim, keepdim, **kw)


def amin(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    return tensor_arg(input, "amin").amin(dim, keepdim, **kw)


def max(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:  # noqa: A001
    return tensor_arg(input, "max").max(dim, keepdim, **kw)


def min(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:  # noqa: A001
    return tensor_arg(input, "min").min(dim, keepdim, **kw)


def argmax(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return tensor_arg(input, "argmax").argmax(dim, keepdim)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return tensor_arg(input, "argmin").argmin(dim, keepdim)


def var(input: Any, dim: Any = None, *args: Any, **kw: Any) -> Tensor:
    return tensor_arg(input, "var").var(dim, *args, **kw)


def std(input: Any, dim: Any = None, *args: Any, **kw: Any) -> Tensor:
    return tensor_arg(input, "std").std(dim, *args, **kw)


def logsumexp(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    return tensor_arg(input, "logsumexp").logsumexp(dim, keepdim)


def softmax(input: Any, dim: int) -> Tensor:
    return tensor_arg(input, "softmax").softmax(dim)


def log_softmax(input: Any, dim: int) -> Tensor:
    return tensor_arg(input, "log_softmax").log_softmax(dim)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    return tensor_arg(input, "norm").norm(p, dim, keepdim)


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return tensor_arg(input, "any").any(dim, keepdim)


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return tensor_arg(input, "all").all(dim, keepdim)


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    return tensor_arg(input, "cumsum").cumsum(dim, dtype=dtype)


def sort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
    return tensor_arg(input, "sort").sort(dim, descending, stable)


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return sort(input, dim, descending, stable).indices


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> SortResult:  # noqa: A002
    return tensor_arg(input, "topk").topk(k, dim, largest, sorted)


# ------------------------------------------------------------------ shapes
def reshape(input: Any, shape: Sequence[int]) -> Tensor:
    return tensor_arg(input, "reshape").reshape(tuple(shape))


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return tensor_arg(input, "flatten").flatten(start_dim, end_dim)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    return tensor_arg(input, "transpose").transpose(dim0, dim1)


def permute(input: Any, dims: Sequence[int]) -> Tensor:
    return tensor_arg(input, "permute").permute(*dims)


def squeeze(input: Any, dim: Any = None) -> Tensor:
    return tensor_arg(input, "squeeze").squeeze(dim)


def unsqueeze(input: Any, dim: int) -> Tensor:
    return tensor_arg(input, "unsqueeze").unsqueeze(dim)


def broadcast_to(input: Any, shape: Sequence[int]) -> Tensor:
    return tensor_arg(input, "broadcast_to").broadcast_to(shape)


def flip(input: Any, dims: Any) -> Tensor:
    return tensor_arg(input, "flip").flip(dims)


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:
    return tensor_arg(input, "roll").roll(shifts, dims)


def repeat(input: Any, *sizes: Any) -> Tensor:
    return tensor_arg(input, "repeat").repeat(*sizes)


def tril(input: Any, diagonal: int = 0) -> Tensor:
    return tensor_arg(input, "tril").tril(diagonal)


def triu(input: Any, diagonal: int = 0) -> Tensor:
    return tensor_arg(input, "triu").triu(diagonal)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return tensor_arg(tensor, "split").split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    return tensor_arg(input, "chunk").chunk(chunks, dim)


def unbind(input: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return tensor_arg(input, "unbind").unbind(dim)


def narrow(input: Any, dim: int, start: int, length: int) -> Tensor:
    return tensor_arg(input, "narrow").narrow(dim, start, length)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim (NumPy's `concatenate`, with `axis` accepted too)."""
    if axis is not None:
        dim = axis
    if isinstance(tensors, Tensor):
        raise TypeError("cat: expected a sequence of tensors (a list or a tuple), got a Tensor")
    tensors = [tensor_arg(x, "cat") for x in tensors]
    if not tensors:
        raise ShapeError("cat: expected a non-empty sequence of tensors")
    if builtins.any(x.ndim != 1 for x in tensors) and builtins.any(x.shape == (0,) for x in tensors):
        # PyTorch's legacy rule: empty vectors are skipped (their dtypes still count in the result's)
        dtype = functools.reduce(promotion.promote_types, (x.dtype for x in tensors))
        kept = [x for x in tensors if x.shape != (0,)] or tensors[:1]
        return cat([x.to(dtype) for x in kept], dim)
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ShapeError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    d = norm_dim(dim, ndim, "cat")
    for i, x in enumerate(tensors):
        if x.ndim != ndim or x.shape[:d] + x.shape[d + 1:] != tensors[0].shape[:d] + tensors[0].shape[d + 1:]:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ShapeError(f"cat: tensors must have the same shape except in dim {dim}; got shapes "
                             f"{shapes} (tensor {i} differs)")
    if len(tensors) == 1:
        return ops.clone(tensors[0])     # new memory, as PyTorch's cat always returns
    return ops.cat(*tensors, dim=d)


concatenate = cat
concat = cat


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    if axis is not None:
        dim = axis
    tensors = [tensor_arg(x, "stack") for x in tensors]
    if not tensors:
        raise ShapeError("stack: expected a non-empty sequence of tensors")
    shapes = {x.shape for x in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: expects each tensor to be the same shape, got shapes {[x.shape for x in tensors]}")
    d = norm_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([x.unsqueeze(d) for x in tensors], dim=d)


def pad(input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad, PyTorch's convention: `pad` lists (left, right) pairs starting from the last dim and going
    backwards; negative amounts crop (first, then the rest pads). Modes: 'constant' (`value`, 0 by default),
    and, for the last 1-3 dims of a batched or unbatched input, 'reflect' (mirrored without repeating the
    edge), 'replicate' (the edge repeated) and 'circular' (wrapped around)."""
    x = tensor_arg(input, "pad")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; expected one of {', '.join(_PAD_MODES)}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ShapeError(f"pad: expected an even number of amounts covering at most {x.ndim} dims, "
                         f"got {len(pad)} for shape {tuple(x.shape)}")
    for a in pad:
        if not is_int(a):
            raise TypeError(f"pad: the amounts must be ints, got {type(a).__name__} {a!r} in {tuple(pad)!r}")
    k = len(pad) // 2
    if mode != "constant":
        if value not in (None, 0):
            raise ValueError(f"pad: padding mode {mode!r} doesn't take a value argument (got {value!r})")
        if not (1 <= k <= 3 and x.ndim in (k + 1, k + 2)):
            raise NotImplementedError(f"pad: {mode!r} padding of {k} dims needs a {k + 1}-D or {k + 2}-D input, "
                                      f"got shape {tuple(x.shape)}")
    pairs = [(0, 0)] * x.ndim
    for i in range(k):
        pairs[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    for d, ((lo, hi), n) in enumerate(zip(pairs, x.shape)):
        kept = n + builtins.min(lo, 0) + builtins.min(hi, 0)        # PyTorch crops first, then pads
        if kept < 0:
            raise ShapeError(f"pad: padding ({lo}, {hi}) of dim {d} (size {n}) crops {n - kept} elements; "
                             f"negative padding can crop at most the whole dim")
    if builtins.any(lo < 0 or hi < 0 for lo, hi in pairs):
        x = x[tuple(slice(-builtins.min(lo, 0), n + builtins.min(hi, 0))
                    for (lo, hi), n in zip(pairs, x.shape))]
        pairs = [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pairs]
    if builtins.all(p == (0, 0) for p in pairs):
        return ops.clone(x)              # new memory, as PyTorch's pad always returns
    if mode == "constant":
        return ops.pad(x, pairs=tuple(pairs), value=0.0 if value is None else value)
    for d, (lo, hi) in enumerate(pairs):
        if lo or hi:                     # each dim in turn: read its padded positions from the tensor
            x = x[(slice(None),) * d + (_pad_positions(mode, x.shape[d], lo, hi, d),)]
    return x


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_positions(mode: str, n: int, lo: int, hi: int, dim: int) -> np.ndarray:
    """Where each position of a dim of size n padded by (lo, hi) reads from. The padding is then an index
    into the tensor, so its gradient is indexing's: each element gets the sum of the gradients of its copies."""
    at = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(at, 0, n - 1)
    if mode == "reflect":
        if builtins.max(lo, hi) >= n:
            raise ShapeError(f"pad: reflect padding ({lo}, {hi}) of dim {dim} must be less than its size {n}")
        at = np.abs(at)                              # -1 -> 1: mirrored, the edge not repeated
        return np.where(at > n - 1, 2 * (n - 1) - at, at)
    if builtins.max(lo, hi) > n:
        raise ShapeError(f"pad: circular padding ({lo}, {hi}) of dim {dim} wraps around more than once (size {n})")
    return at % n


# ------------------------------------------------------------------ indexing
def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    return tensor_arg(input, "gather").gather(dim, index)


def index_select(input: Any, dim: int, index: Any) -> Tensor:
    return tensor_arg(input, "index_select").index_select(dim, index)


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    return tensor_arg(input, "masked_fill").masked_fill(mask, value)


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    return tensor_arg(input, "nonzero").nonzero(as_tuple=as_tuple)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    return tensor_arg(input, "scatter").scatter(dim, index, src, value=value, reduce=reduce)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Tensor:
    return tensor_arg(input, "scatter_add").scatter_add(dim, index, src)


# ------------------------------------------------------------------ layers and losses
def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch."""
    x, weight = tensor_arg(input, "linear"), tensor_arg(weight, "linear")
    if (weight.ndim == 2 and x.ndim and x.shape[-1] == weight.shape[1] and x.dtype == weight.dtype and
            (bias is None or (type(bias) is Tensor or isinstance(bias, Tensor)) and bias.shape == weight.shape[:1]
             and bias.dtype == x.dtype)):
        return ops.linear(x, weight, bias)        # the usual layer: nothing else to check
    if weight.ndim not in (1, 2) or x.ndim == 0 or x.shape[-1:] != weight.shape[-1:]:
        raise ShapeError(f"linear: input of shape {tuple(x.shape)} does not match weight of shape "
                         f"{tuple(weight.shape)}; "
                         f"expected input's last dim to equal weight's in_features ({tuple(weight.shape[-1:])})")
    check_same_dtype("linear", x, weight, bias)
    out_shape = x.shape[:-1] + weight.shape[:-1]
    if bias is not None:
        bias = tensor_arg(bias, "linear")
        if broadcast_shape(bias.shape, out_shape) != out_shape:
            raise ShapeError(f"linear: bias of shape {tuple(bias.shape)} does not broadcast to the output's "
                             f"shape {tuple(out_shape)}")
    if weight.ndim == 1:                   # a vector of weights: one output, its dim dropped (PyTorch's)
        out = x.matmul(weight)
        return out if bias is None else out + bias
    if bias is not None and bias.shape != weight.shape[:1]:
        return ops.linear(x, weight, None) + bias
    return ops.linear(x, weight, bias)


def fused_lstm_cell(input_gates: Any, hidden_gates: Any, cx: Any) -> tuple[Tensor, Tensor]:
    """One LSTM step after its two products, as one op (PyTorch's `_thnn_fused_lstm_cell`):
    input_gates = x W_ih^T + b_ih and hidden_gates = h W_hh^T + b_hh, each (B, 4H) in gate order
    i, f, g, o; cx the cell state (B, H). Returns (h', c'). The derivation is in `ops.py`."""
    ig, hg, c = (tensor_arg(t, "fused_lstm_cell") for t in (input_gates, hidden_gates, cx))
    hidden = c.shape[-1] if c.ndim else 0
    for name, t in (("input_gates", ig), ("hidden_gates", hg)):
        if t.ndim < 1 or t.shape[-1] != 4 * hidden:
            raise ShapeError(f"fused_lstm_cell: {name} of shape {tuple(t.shape)} should have 4 * {hidden} = "
                             f"{4 * hidden} gates in its last dim, for the cell state of shape {tuple(c.shape)}")
    if ig.shape[:-1] != c.shape[:-1] or hg.shape[:-1] != c.shape[:-1]:
        raise ShapeError(f"fused_lstm_cell: input_gates {tuple(ig.shape)}, hidden_gates {tuple(hg.shape)} and "
                         f"cx {tuple(c.shape)} should have the same leading (batch) dims")
    out = ops.lstm_cell(ig, hg, c)
    return out[0], out[1]


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of class indices given log-probabilities (PyTorch's nll_loss).

    `input` is (N, C) or (N, C, d1, ...) log-probabilities, `target` (N,) or (N, d1, ...) class
    indices; `weight` rescales each class; targets equal to `ignore_index` count for nothing; 'mean'
    divides by the total weight of the counted targets. One primitive, so its backward is one scatter.
    """
    x = tensor_arg(input, "nll_loss")
    tgt = target.array if isinstance(target, Tensor) else np.asarray(target)
    if reduction not in ("mean", "sum", "none"):
        raise ShapeError(f"nll_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if tgt.dtype.kind not in "iu":
        raise DTypeError(f"nll_loss: expected integer class indices as target (int64), got dtype {tgt.dtype}")
    if x.ndim == 1:
        x, tgt = x.unsqueeze(0), tgt.reshape(1)
        squeeze = reduction == "none"
    else:
        squeeze = False
    if x.ndim < 2 or tgt.shape != x.shape[:1] + x.shape[2:]:
        raise ShapeError(f"nll_loss: input of shape {tuple(tensor_arg(input, 'nll_loss').shape)} needs a target of "
                         f"shape {tuple(x.shape[:1] + x.shape[2:])} (the input's shape without the class dim 1), "
                         f"got {tuple(tgt.shape)}")
    n_classes = x.shape[1]
    w = None
    if weight is not None:
        if isinstance(weight, Tensor) and weight.dtype != x.dtype:
            raise DTypeError(f"nll_loss: expected weight of dtype {x.dtype} (the input's), got {weight.dtype} "
                             f"(PyTorch does not promote here either)")
        w = weight.array if isinstance(weight, Tensor) else np.asarray(weight, dtype=x.dtype)
        if w.shape != (n_classes,):
            raise ShapeError(f"nll_loss: weight must have shape ({n_classes},), got {tuple(w.shape)}")
    shape = tgt.shape
    if x.ndim > 2:     # (N, C, d1, ...) -> (N*d1*..., C): one row per prediction
        x = x.movedim(1, -1).reshape(-1, n_classes)
        tgt = tgt.reshape(-1)
    # Worked out once here, not in both forward and backward: each sample's class (0 if ignored,
    # so indexing stays valid), its weight (0 if ignored; None when all are 1), and the divisor of 'mean'.
    lo, hi = (int(tgt.min()), int(tgt.max())) if tgt.size else (0, 0)
    if w is None and 0 <= lo and hi < n_classes and not lo <= ignore_index <= hi:
        classes, per_sample = tgt, None            # the common case: every target counts once
        denom = float(tgt.size) if reduction == "mean" else 1.0
    else:
        keep = tgt != ignore_index
        bad = keep & ((tgt < 0) | (tgt >= n_classes))
        if bad.any():
            raise IndexError(f"nll_loss: target {int(tgt[bad].flat[0])} is out of bounds for {n_classes} classes")
        classes = np.where(keep, tgt, 0)
        per_sample = (keep if w is None else np.where(keep, w[classes], 0)).astype(x.dtype)
        denom = float(per_sample.sum(dtype=np.float64)) if reduction == "mean" else 1.0
    if denom == 0:                         # 'mean' of nothing (no targets, or all ignored): NaN, as PyTorch,
        total = ops.nll_loss(x, target=classes, weight=per_sample, denom=1.0, reduction="sum")
        return where(np.zeros((), dtype=bool), total, math.nan)          # with a zero gradient (no 0 / 0)
    out = ops.nll_loss(x, target=classes, weight=per_sample, denom=denom, reduction=reduction)
    if reduction == "none":
        return out.reshape(()) if squeeze else out.reshape(shape)
    return out


def binary_cross_entropy(input: Tensor, target: Any) -> Tensor:
    """Elementwise -(t log p + (1-t) log(1-p)) for probabilities p, logs clamped at -100 (no reduction).

    One primitive with PyTorch's backward, (p - t) / max(p (1 - p), 1e-12): a prediction of exactly 0 or
    1 (a float32 sigmoid saturates there) gives a finite gradient, not 0/0.
    """
    p = tensor_arg(input, "binary_cross_entropy")
    t = target if isinstance(target, Tensor) else wrap(np.asarray(target, dtype=p.dtype))
    if t.shape != p.shape:
        raise ShapeError(f"binary_cross_entropy: target shape {tuple(t.shape)} differs from input shape "
                         f"{tuple(p.shape)}")
    if t.dtype != p.dtype:
        raise DTypeError(f"binary_cross_entropy: expected a target of dtype {p.dtype} (the input's), got {t.dtype}")
    for name, a in (("input", p.array), ("target", t.array)):
        if a.size and not (0 <= a.min() and a.max() <= 1):      # (NaN is refused too: its comparisons fail)
            raise ShapeError(f"binary_cross_entropy: all elements of {name} should be between 0 and 1"
                             + (" (use binary_cross_entropy_with_logits for raw scores)" if name == "input" else ""))
    return ops.binary_cross_entropy(p, t)
