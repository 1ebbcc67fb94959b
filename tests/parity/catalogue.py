"""The op catalogue: every op the README lists, each with a generator of valid random calls.

An entry (`OpSpec`) knows how to pick its inputs from the values a program has made so far (or make
new leaves of suitable shapes and values) and returns the call as code text (`Emit`) that runs in
both libraries (`M`/`F` are the module and its functional namespace, see `core`); where the two
spell a call differently, both spellings are given. Inputs are chosen away from kinks and ties
(relu at 0, max with near-ties, floor near integers...) by looking at the oracle's values, so that
first and second derivatives are well defined; exact structural ties (relu's zeros, a value used
twice) are kept, since both libraries must then agree on the convention.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .core import tensor_literal

DELTA = 2e-3  # how far inputs stay from kinks and ties (relative to max(1, |value|))
MAX_NUMEL = 300  # no value in a program is larger
MAX_ABS = 1e4  # nor has larger entries

DOMAINS: dict[str, tuple[float, float, float]] = {  # (low, high, grid step) of a new leaf's values
    "normal": (-2.0, 2.0, 0.01),
    "positive": (0.2, 3.0, 0.01),
    "prob": (0.05, 0.95, 0.005),
    "unit": (-0.9, 0.9, 0.005),
}


# ---------------------------------------------------------------- values and emitted calls
class Val:
    """A value of the program being built: its name and the oracle's (torch's) live tensor."""

    def __init__(self, name: str, t: Any, leaf: bool = False, private: bool = False, opaque: bool = False) -> None:
        self.name = name
        self.t = t
        self.leaf = leaf
        self.private = private  # only for the op that made it (batch_norm's running stats)
        self.opaque = opaque  # compared by shape and dtype only, never an input (random tensors)
        self.uses = 0

    def __str__(self) -> str:
        return self.name

    @property
    def is_tensor(self) -> bool:
        return hasattr(self.t, "shape") and hasattr(self.t, "dtype") and hasattr(self.t, "requires_grad")

    @property
    def kind(self) -> str:
        if not self.is_tensor:
            return "other"
        if self.t.is_floating_point():
            return "float"
        return "bool" if str(self.t.dtype) == "torch.bool" else "int"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.t.shape)

    @property
    def ndim(self) -> int:
        return self.t.ndim

    @property
    def numel(self) -> int:
        return int(self.t.numel())

    @property
    def dtype(self) -> str:
        return str(self.t.dtype).removeprefix("torch.")

    def np(self) -> np.ndarray:
        t = self.t.detach()
        if t.is_floating_point():
            t = t.double()
        return t.numpy()


@dataclass
class Emit:
    """One call: code text for al (and for torch when it differs) and the values it reads."""

    al: str
    reads: tuple[Val, ...]
    torch: str | None = None
    mutates: Val | None = None  # the value changed in place
    statement: bool = False  # `x[i] = y`, `x += y`: no result
    helpers: frozenset[str] = frozenset()
    opaque: bool = False  # outputs random: compare shape and dtype only
    check: Callable[[list[Any]], bool] | None = None  # on torch's outputs: still well conditioned?


@dataclass
class OpSpec:
    name: str
    group: str
    gen: Callable[[Ctx], Emit | None]
    weight: float = 1.0
    covers: tuple[str, ...] = ()


CATALOGUE: list[OpSpec] = []
BY_NAME: dict[str, OpSpec] = {}


def op(name: str, group: str, weight: float = 1.0, covers: Sequence[str] = ()) -> Callable:
    def register(fn: Callable[[Ctx], Emit | None]) -> Callable[[Ctx], Emit | None]:
        CATALOGUE.append(OpSpec(name, group, fn, weight, tuple(covers) or (name,)))
        return fn

    return register


# ---------------------------------------------------------------- conditioning checks (on torch's values)
def far(a: np.ndarray, points: Sequence[float] = (0.0,), exact_ok: bool = True) -> bool:
    """Every entry is either exactly on one of the points (if allowed) or clearly away from all."""
    for p in points:
        d = np.abs(a - p)
        bad = d < DELTA * max(1.0, abs(p))
        if exact_ok:
            bad &= d != 0
        if bad.any():
            return False
    return True


def far_from_grid(a: np.ndarray, offset: float = 0.0, scale: float = 1.0) -> bool:
    """Away from the points (k + offset) / scale, k integer (floor's jumps, round's halves)."""
    s = a * scale - offset
    d = np.abs(s - np.round(s))
    return bool(np.all(d > DELTA * np.maximum(1.0, np.abs(s))))


def no_near_ties(a: np.ndarray, exact_ok: bool) -> bool:
    """Any two entries are exactly equal (if allowed) or clearly apart: rounding cannot reorder them."""
    v = np.sort(a.reshape(-1))
    if v.size < 2:
        return True
    gaps = np.diff(v)
    bad = gaps < DELTA * np.maximum(1.0, np.abs(v[1:]))
    if exact_ok:
        bad &= gaps != 0
    return not bad.any()


def ties_along(a: np.ndarray, dim: int | None, exact_ok: bool) -> bool:
    if dim is None or a.ndim == 0:
        return no_near_ties(a, exact_ok)
    b = np.moveaxis(a, dim, -1).reshape(-1, a.shape[dim]) if a.size else np.zeros((0, 1))
    return all(no_near_ties(row, exact_ok) for row in b)


def finite_small(a: np.ndarray, bound: float = 30.0) -> bool:
    return bool(np.all(np.abs(a) < bound))


# ---------------------------------------------------------------- the generation context
class Ctx:
    """What a generator sees: a seeded RNG, the program's float dtype, and its pool of values."""

    def __init__(self, rng: np.random.Generator, dtype: str, builder: Any, edgy: bool = False) -> None:
        self.rng = rng
        self.dtype = dtype
        self.b = builder
        self.edgy = edgy  # edge shapes: more 0-d tensors, size-1 and zero-size dims

    # random choices
    def coin(self, p: float = 0.5) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.rng.integers(len(seq)))]

    def randint(self, lo: int, hi: int) -> int:
        """Inclusive of both ends."""
        return int(self.rng.integers(lo, hi + 1))

    def shape(self, ndim: int | None = None, lo: int = 1, hi: int = 4, zero_p: float = 0.03) -> tuple[int, ...]:
        if ndim is None:
            p = [0.2, 0.3, 0.25, 0.15, 0.1] if self.edgy else [0.06, 0.24, 0.36, 0.24, 0.10]
            ndim = int(self.rng.choice([0, 1, 2, 3, 4], p=p))
        if self.edgy and zero_p:
            zero_p = 0.12
        dims = []
        for _ in range(ndim):
            n = 0 if (lo == 0 or zero_p) and self.coin(zero_p) else self.randint(lo, hi)
            if n and self.coin(0.45 if self.edgy else 0.2):
                n = 1
            dims.append(n)
        return tuple(dims)

    def dim(self, ndim: int, new: bool = False) -> int:
        """A valid dim of a tensor with ndim dims (ndim + 1 positions if `new`), negative half the time."""
        n = ndim + 1 if new else max(ndim, 1)
        d = self.randint(0, n - 1)
        return d - n if self.coin(0.4) else d

    def dims(self, ndim: int) -> tuple[int, ...]:
        """A non-empty tuple of distinct dims."""
        k = self.randint(1, max(ndim, 1))
        ds = [int(d) for d in self.rng.permutation(max(ndim, 1))[:k]]
        return tuple(d - max(ndim, 1) if self.coin(0.3) else d for d in ds)

    def scalar(self, ints: bool = True) -> Any:
        choices: list[Any] = [0.5, 1.5, -2.25, 3.0, -0.75]
        if ints:
            choices += [2, -1, 3]
        return self.pick(choices)

    # values
    def pool(self, kind: str = "float", pred: Callable[[Val], bool] | None = None, ndim: Any = None) -> list[Val]:
        out = []
        for v in self.b.pool:
            if v.private or v.opaque or v.kind != kind:
                continue
            if ndim is not None and (v.ndim not in ndim if isinstance(ndim, (range, tuple, list)) else v.ndim != ndim):
                continue
            if pred is not None and not pred(v):
                continue
            out.append(v)
        return out

    def choose(self, cands: list[Val]) -> Val:
        n = len(cands)
        w = np.array([1.0 + 3.0 * (i + 1) / n + (2.0 if v.uses else 0.0) for i, v in enumerate(cands)])
        return cands[int(self.rng.choice(n, p=w / w.sum()))]

    def fval(
        self,
        pred: Callable[[Val], bool] | None = None,
        ndim: Any = None,
        domain: str = "normal",
        new_p: float = 0.15,
        shape: tuple[int, ...] | None = None,
        lo: int = 1,
        dtype: str | None = None,
    ) -> Val | None:
        """A float value satisfying pred: from the pool (usually) or a new leaf."""
        cands = self.pool("float", pred, ndim)
        if shape is not None:
            cands = [v for v in cands if v.shape == shape]
        if dtype is not None:
            cands = [v for v in cands if v.dtype == dtype]
        if cands and not self.coin(new_p):
            return self.choose(cands)
        for _ in range(4):
            if shape is not None:
                shp = shape
            else:
                nd = ndim if isinstance(ndim, int) or ndim is None else int(self.pick(list(ndim)))
                shp = self.shape(nd, lo=lo)
            v = self.leaf(shp, domain, dtype=dtype)
            if pred is None or pred(v):
                return v
            self.b.drop_last()
        return None

    def leaf(
        self, shape: tuple[int, ...], domain: str = "normal", dtype: str | None = None, requires_grad: bool = True
    ) -> Val:
        lo, hi, step = DOMAINS[domain]
        n = int(np.prod(shape, dtype=np.int64))
        grid = np.round(np.arange(lo, hi + step / 2, step), 6)
        grid = grid[np.abs(grid) >= 0.05] if domain in ("normal", "unit") else grid
        if n > grid.size:
            grid = np.round(np.linspace(lo, hi, 4 * n), 5)
        vals = self.rng.choice(grid, size=n, replace=False).reshape(shape)
        return self.b.add_leaf(vals, dtype or self.dtype, requires_grad)

    def const(self, code: str, private: bool = False) -> Val:
        """A value made by creation code (no gradient): running stats, masks, index tensors."""
        return self.b.add_const(code, private)

    def partner(
        self,
        x: Val,
        pred: Callable[[Val], bool] | None = None,
        domain: str = "normal",
        same_shape: bool = False,
        result_shape: bool = False,
    ) -> Val | None:
        """A float value whose shape broadcasts with x's (the same shape if asked; one that does not
        change x's shape if result_shape)."""

        def fits(v: Val) -> bool:
            if same_shape:
                return v.shape == x.shape
            try:
                out = np.broadcast_shapes(x.shape, v.shape)
            except ValueError:
                return False
            if result_shape and out != x.shape:
                return False
            return int(np.prod(out, dtype=np.int64)) <= MAX_NUMEL

        def ok(v: Val) -> bool:
            return fits(v) and (pred is None or pred(v))

        cands = self.pool("float", ok)
        if cands and self.coin(0.5):
            return self.choose(cands)
        for _ in range(4):
            shp = x.shape if same_shape else self.bshape(x.shape, result_shape)
            v = self.leaf(shp, domain)
            if ok(v):
                return v
            self.b.drop_last()
        return None

    def bshape(self, shape: tuple[int, ...], result_shape: bool = False) -> tuple[int, ...]:
        """A shape that broadcasts with `shape`."""
        mode = self.pick(["same", "same", "suffix", "ones", "ones", "scalar"] + ([] if result_shape else ["lead"]))
        if mode == "same":
            return shape
        if mode == "suffix":
            return shape[self.randint(0, len(shape)) :]
        if mode == "ones":
            return tuple(1 if self.coin(0.5) else n for n in shape)[self.randint(0, min(1, len(shape))) :]
        if mode == "scalar":
            return ()
        return (self.randint(1, 3),) + tuple(1 if self.coin(0.3) else n for n in shape)

    def emit(self, form: str | tuple[str, str], *reads: Val, **kw: Any) -> Emit:
        al_form, t_form = (form, None) if isinstance(form, str) else form
        return Emit(al_form, tuple(reads), torch=t_form, **kw)

    def ints(self, a: Any) -> str:
        return tensor_literal(np.asarray(a, dtype=np.int64))

    def bools(self, a: Any) -> str:
        return tensor_literal(np.asarray(a, dtype=bool))

    def floats_lit(self, a: Any, dtype: str | None = None) -> str:
        return tensor_literal(np.round(np.asarray(a, dtype=np.float64), 3).astype(dtype or self.dtype))


def _pick_form(ctx: Ctx, forms: Sequence[Any], **kw: Any) -> str | tuple[str, str]:
    f = ctx.pick(forms)
    if isinstance(f, tuple):
        return (f[0].format(**kw), f[1].format(**kw))
    return f.format(**kw)


def _vals(kw: dict[str, Any]) -> tuple[Val, ...]:
    return tuple(v for v in kw.values() if isinstance(v, Val))


# ================================================================ arithmetic
def _unary(
    name: str,
    forms: Sequence[Any],
    pred: Callable[[np.ndarray], bool] | None = None,
    domain: str = "normal",
    group: str = "elementwise",
    weight: float = 1.0,
    params: Callable[[Ctx], dict[str, Any]] | None = None,
    ppred: Callable[[np.ndarray, dict[str, Any]], bool] | None = None,
    covers: Sequence[str] = (),
) -> None:
    def gen(ctx: Ctx) -> Emit | None:
        p = params(ctx) if params else {}

        def ok(v: Val) -> bool:
            a = v.np()
            if not finite_small(a, 50.0):
                return False
            if pred is not None and not pred(a):
                return False
            return ppred is None or ppred(a, p)

        x = ctx.fval(ok, domain=domain)
        if x is None:
            return None
        return ctx.emit(_pick_form(ctx, forms, x=x, **p), x)

    CATALOGUE.append(OpSpec(name, group, gen, weight, tuple(covers) or (name,)))


_unary("exp", ["{x}.exp()", "M.exp({x})"], lambda a: np.all(a < 6))
_unary("log", ["{x}.log()", "M.log({x})"], lambda a: np.all(a > 0.05), "positive")
_unary("log1p", ["{x}.log1p()", "M.log1p({x})"], lambda a: np.all(a > -0.9))
_unary("expm1", ["{x}.expm1()", "M.expm1({x})"], lambda a: np.all(a < 6))
_unary("sqrt", ["{x}.sqrt()", "M.sqrt({x})"], lambda a: np.all(a > 0.05), "positive")
_unary("rsqrt", ["{x}.rsqrt()", "M.rsqrt({x})"], lambda a: np.all(a > 0.05), "positive")
_unary("reciprocal", ["{x}.reciprocal()", "M.reciprocal({x})"], lambda a: np.all(np.abs(a) > 0.1))
_unary("abs", ["{x}.abs()", "M.abs({x})", "abs({x})"], far)
_unary("sign", ["{x}.sign()", "M.sign({x})"], far)
_unary("neg", ["-{x}", "{x}.neg()", "M.neg({x})"])
_unary("sin", ["{x}.sin()", "M.sin({x})"])
_unary("cos", ["{x}.cos()", "M.cos({x})"])
_unary("tanh", ["{x}.tanh()", "M.tanh({x})", "F.tanh({x})"])
_unary("sigmoid", ["{x}.sigmoid()", "M.sigmoid({x})", "F.sigmoid({x})"])
_unary("erf", ["{x}.erf()", "M.erf({x})"])
_unary("relu", ["{x}.relu()", "M.relu({x})", "F.relu({x})"], far)
_unary(
    "leaky_relu",
    [
        "F.leaky_relu({x})",
        "F.leaky_relu({x}, {s})",
        "F.leaky_relu({x}, negative_slope={s})",
        ("M.leaky_relu({x}, {s})", "F.leaky_relu({x}, {s})"),
    ],
    far,
    params=lambda c: {"s": c.pick([0.01, 0.2, 1.5])},
)
_unary(
    "elu",
    ["F.elu({x})", "F.elu({x}, alpha={a})", ("M.elu({x}, {a})", "F.elu({x}, {a})")],
    far,
    params=lambda c: {"a": c.pick([1.0, 0.5, 2.0])},
)
_unary(
    "softplus",
    [
        "F.softplus({x})",
        "F.softplus({x}, beta={b}, threshold={t})",
        ("M.softplus({x}, {b}, {t})", "F.softplus({x}, {b}, {t})"),
    ],
    params=lambda c: {"b": c.pick([1.0, 2.0, 0.5]), "t": c.pick([20.0, 1.0, 2.0])},
    ppred=lambda a, p: far(a * p["b"], (p["t"],), exact_ok=False),
)
_unary("silu", ["F.silu({x})"])
_unary("gelu", ["F.gelu({x})", "F.gelu({x}, approximate='tanh')", "F.gelu({x}, approximate='none')"])
_unary("square", ["{x}.square()"])
_unary("floor", ["{x}.floor()", "M.floor({x})"], far_from_grid)
_unary("ceil", ["{x}.ceil()", "M.ceil({x})"], far_from_grid)
_unary("trunc", ["{x}.trunc()", "M.trunc({x})"], far_from_grid)
_unary("round", ["{x}.round()", "M.round({x})"], lambda a: far_from_grid(a, 0.5))
_unary(
    "round_decimals",
    ["{x}.round(decimals=1)", "M.round({x}, decimals=1)"],
    lambda a: far_from_grid(a, 0.5, 10.0),
    covers=("round",),
)
_unary(
    "dropout_off",
    [
        "F.dropout({x}, p=0.0)",
        "F.dropout({x}, 0.5, training=False)",
        "F.dropout({x}, p=0.0, training=True)",
        "F.dropout({x}, p=0.3, training=False)",
    ],
    covers=("dropout",),
)
_unary("clone", ["{x}.clone()"], group="shapes")
_unary("contiguous", ["{x}.contiguous()"], group="shapes")
_unary("detach", ["{x}.detach()"], group="autograd", weight=0.3)


def _pow_params(c: Ctx) -> dict[str, Any]:
    return {"n": c.pick([2, 3, -1, -2, 0.5, 1.5, 0, 1, 2.0, -0.5])}


def _pow_ok(a: np.ndarray, p: dict[str, Any]) -> bool:
    n = p["n"]
    if isinstance(n, float) and not float(n).is_integer():
        return bool(np.all(a > 0.05))
    if n < 0:
        return bool(np.all(np.abs(a) > 0.15))
    return True


_unary(
    "pow_scalar",
    ["{x} ** {n}", "{x}.pow({n})", "M.pow({x}, {n})"],
    ppred=_pow_ok,
    params=_pow_params,
    group="arithmetic",
    weight=1.5,
    covers=("pow", "**"),
)
_unary(
    "rpow",
    ["{s} ** {x}", "M.pow({s}, {x})"],
    lambda a: np.all(a < 5),
    params=lambda c: {"s": c.pick([2.0, 0.5, 3])},
    group="arithmetic",
    covers=("pow", "**"),
)


_BINARY_FORMS = {
    "add": ["{x} + {y}", "{x}.add({y})", "M.add({x}, {y})", "{x}.add({y}, alpha={a})", "M.add({x}, {y}, alpha={a})"],
    "sub": ["{x} - {y}", "{x}.sub({y})", "M.sub({x}, {y})", "{x}.sub({y}, alpha={a})", "M.sub({x}, {y}, alpha={a})"],
    "mul": ["{x} * {y}", "{x}.mul({y})", "M.mul({x}, {y})"],
    "div": ["{x} / {y}", "{x}.div({y})", "M.div({x}, {y})"],
    "pow": ["{x} ** {y}", "{x}.pow({y})", "M.pow({x}, {y})"],
    "maximum": ["M.maximum({x}, {y})", "{x}.maximum({y})", "{x}.max({y})", "M.max({x}, {y})"],
    "minimum": ["M.minimum({x}, {y})", "{x}.minimum({y})", "{x}.min({y})", "M.min({x}, {y})"],
}
_SCALAR_LEFT = {"add": "{s} + {x}", "sub": "{s} - {x}", "mul": "{s} * {x}", "div": "{s} / {x}"}
_SCALAR_RIGHT = {
    "add": ["{x} + {s}", "{x}.add({s})"],
    "sub": ["{x} - {s}", "{x}.sub({s})"],
    "mul": ["{x} * {s}", "{x}.mul({s})"],
    "div": ["{x} / {s}", "{x}.div({s})"],
}


def _binary(name: str) -> None:
    def gen(ctx: Ctx) -> Emit | None:
        xpred: Callable[[Val], bool] | None = None
        ypred: Callable[[Val], bool] | None = None
        xdom = ydom = "normal"
        if name == "div":
            ypred = lambda v: bool(np.all(np.abs(v.np()) > 0.1))
        if name == "pow":
            xpred = lambda v: bool(np.all(v.np() > 0.1)) and finite_small(v.np(), 20)
            ypred = lambda v: finite_small(v.np(), 3)
            xdom = "positive"
        mode = ctx.pick(["tensor"] * 4 + (["right", "left"] if name in _SCALAR_LEFT else []))
        if mode == "left" and name == "div":
            xpred = lambda v: bool(np.all(np.abs(v.np()) > 0.1))
        x = ctx.fval(xpred, domain=xdom)
        if x is None:
            return None
        s = ctx.scalar()
        if mode == "left":
            return ctx.emit(_SCALAR_LEFT[name].format(x=x, s=s), x)
        if mode == "right":
            return ctx.emit(ctx.pick(_SCALAR_RIGHT[name]).format(x=x, s=s), x)
        if name in ("maximum", "minimum"):
            xa = x.np()

            def ypred_(v: Val) -> bool:
                try:
                    d = xa - v.np()
                except ValueError:
                    return False
                return far(d)

            ypred = ypred_
        y = ctx.partner(x, ypred, domain=ydom)
        if y is None:
            return None
        return ctx.emit(ctx.pick(_BINARY_FORMS[name]).format(x=x, y=y, a=ctx.pick([2, 0.5, -1.5])), x, y)

    covers = {
        "add": ("add", "+"),
        "sub": ("sub", "-"),
        "mul": ("mul", "*"),
        "div": ("div", "/"),
        "pow": ("pow", "**"),
        "maximum": ("maximum",),
        "minimum": ("minimum",),
    }[name]
    CATALOGUE.append(OpSpec(name, "arithmetic", gen, 2.0 if name in ("add", "mul", "sub") else 1.0, covers))


for _name in ("add", "sub", "mul", "div", "pow", "maximum", "minimum"):
    _binary(_name)


@op("matmul", "arithmetic", 1.5, covers=("matmul", "@"))
def _matmul(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: 1 <= v.ndim <= 4 and finite_small(v.np(), 20), ndim=range(1, 5))
    if x is None:
        return None
    s = x.shape
    p = ctx.randint(1, 4)
    if x.ndim == 1:
        yshape = ctx.pick([s, s + (p,), (ctx.randint(1, 2),) + s + (p,)])
    else:
        batch = s[:-2]
        if batch and ctx.coin(0.3):
            batch = tuple(1 if ctx.coin(0.5) else n for n in batch)
        yshape = ctx.pick([s[-1:], batch + (s[-1], p), (s[-1], p)])
    y = ctx.fval(lambda v: finite_small(v.np(), 20), shape=yshape, new_p=0.3, dtype=x.dtype)
    if y is None:
        return None
    if ctx.coin(0.2):
        x, y = y, x  # also the other way round, when the shapes allow
    return ctx.emit(ctx.pick(["{x} @ {y}", "{x}.matmul({y})", "M.matmul({x}, {y})"]).format(x=x, y=y), x, y)


@op("mm", "arithmetic", 0.7)
def _mm(ctx: Ctx) -> Emit | None:
    x = ctx.fval(ndim=2)
    if x is None:
        return None
    y = ctx.fval(shape=(x.shape[1], ctx.randint(1, 4)), new_p=0.4, dtype=x.dtype)
    if y is None:
        return None
    return ctx.emit(ctx.pick(["M.mm({x}, {y})", "{x}.mm({y})"]).format(x=x, y=y), x, y)


@op("bmm", "arithmetic", 0.7)
def _bmm(ctx: Ctx) -> Emit | None:
    x = ctx.fval(ndim=3)
    if x is None:
        return None
    y = ctx.fval(shape=(x.shape[0], x.shape[2], ctx.randint(1, 3)), new_p=0.4, dtype=x.dtype)
    if y is None:
        return None
    return ctx.emit(ctx.pick(["M.bmm({x}, {y})", "{x}.bmm({y})"]).format(x=x, y=y), x, y)


@op("einsum", "arithmetic", 1.2)
def _einsum(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim <= 3 and finite_small(v.np(), 20), ndim=range(0, 4))
    if x is None:
        return None
    letters = list("abcdef")
    ctx.rng.shuffle(letters)
    sizes = dict(zip(letters, x.shape))
    subs = ["".join(letters[: x.ndim])]
    operands = [x]
    for _ in range(ctx.randint(0, 2)):
        k = ctx.randint(0, 3)
        pool = list(sizes) + [c for c in letters if c not in sizes][:2]
        chosen = [str(c) for c in ctx.rng.permutation(pool)[:k]] if pool else []
        for c in chosen:
            sizes.setdefault(c, ctx.randint(1, 3))
        shape = tuple(sizes[c] for c in chosen)
        y = ctx.fval(lambda v: finite_small(v.np(), 20), shape=shape, new_p=0.5, dtype=x.dtype)
        if y is None:
            return None
        subs.append("".join(chosen))
        operands.append(y)
    used = sorted({c for s in subs for c in s})
    if ctx.coin(0.25):
        eq = ",".join(subs)  # implicit output: the letters used once, sorted
    else:
        out = [str(c) for c in ctx.rng.permutation(used)[: ctx.randint(0, len(used))]] if used else []
        eq = ",".join(subs) + "->" + "".join(out)
    args = ", ".join(v.name for v in operands)
    if ctx.coin(0.15):
        return ctx.emit(f"M.einsum('{eq}', [{args}])", *operands)
    return ctx.emit(f"M.einsum('{eq}', {args})", *operands)


@op("einsum_ellipsis", "arithmetic", 0.8, covers=("einsum",))
def _einsum_ellipsis(ctx: Ctx) -> Emit | None:
    """einsum with '...': batch dims broadcast between operands of different ranks (a suffix of x's, some of size
    1), the output explicit (with or without '...') or implicit; sometimes in PyTorch's sublist form."""
    x = ctx.fval(lambda v: v.numel <= 60 and finite_small(v.np(), 20), ndim=range(0, 5))
    if x is None:
        return None
    k = ctx.randint(0, min(2, x.ndim))
    named = "ij"[:k]
    sizes = dict(zip(named, x.shape[x.ndim - k :]))
    batch = x.shape[: x.ndim - k]
    subs, operands = ["..." + named], [x]
    if ctx.coin(0.7):
        cut = ctx.randint(0, len(batch))
        chosen = [c for c in named if ctx.coin(0.7)] + (["k"] if ctx.coin(0.5) else [])
        sizes["k"] = ctx.randint(1, 3)
        shape = tuple(1 if ctx.coin(0.3) else n for n in batch[cut:]) + tuple(sizes[c] for c in chosen)
        y = ctx.fval(lambda v: finite_small(v.np(), 20), shape=shape, new_p=0.5, dtype=x.dtype)
        if y is None:
            return None
        subs.append("..." + "".join(chosen))
        operands.append(y)
    used = sorted({c for s in subs for c in s if c != "."})
    out = [str(c) for c in ctx.rng.permutation(used)[: ctx.randint(0, len(used))]] if used else []
    form = ctx.pick(["implicit", "batch", "batch", "summed"])
    eq = ",".join(subs) + {"implicit": "", "batch": "->..." + "".join(out), "summed": "->" + "".join(out)}[form]
    if ctx.coin(0.2):  # the sublist form: i, j, k are 0, 1, 2
        def sub(s: str) -> str:
            return "[" + ", ".join("Ellipsis" if c == "." else str("ijk".index(c)) for c in s.replace("...", ".")) + "]"

        args = ", ".join(f"{v}, {sub(s)}" for v, s in zip(operands, subs))
        tail = "" if form == "implicit" else ", " + sub(eq.split("->")[1])
        return ctx.emit(f"M.einsum({args}{tail})", *operands)
    return ctx.emit(f"M.einsum('{eq}', {', '.join(v.name for v in operands)})", *operands)


@op("linear", "nn", 1.0)
def _linear(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and finite_small(v.np(), 20), ndim=range(1, 4))
    if x is None:
        return None
    out = ctx.randint(1, 4)
    w = ctx.leaf((out, x.shape[-1]), "unit", dtype=x.dtype)
    b = ctx.leaf((out,), "unit", dtype=x.dtype) if ctx.coin(0.6) else None
    bs = b.name if b is not None else "None"
    form = ctx.pick(
        [
            f"F.linear({x}, {w}, {bs})",
            f"F.linear({x}, {w})" if b is None else f"F.linear({x}, {w}, bias={b})",
            (f"M.linear({x}, {w}, {bs})", f"F.linear({x}, {w}, {bs})"),
        ]
    )
    return ctx.emit(form, *(v for v in (x, w, b) if v is not None))


# ================================================================ elementwise with two or three inputs
@op("clamp", "elementwise", 1.5, covers=("clamp", "clip"))
def _clamp(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.numel > 0)
    if x is None:
        return None
    a = x.np()
    q = np.quantile(a, [0.3, 0.7]) if a.size else np.array([-0.5, 0.5])
    lo, hi = float(np.round(q[0], 2)), float(np.round(q[1], 2))
    if lo == hi:
        hi = lo + 0.5
    if ctx.coin(0.25):  # tensor bounds
        b = ctx.partner(x, lambda v: far(a - v.np(), exact_ok=False))
        if b is None:
            return None
        form = ctx.pick(["{x}.clamp(min={b})", "{x}.clamp(max={b})", "M.clamp({x}, min={b})", "{x}.clip(max={b})"])
        return ctx.emit(form.format(x=x, b=b), x, b)
    if not far(a, (lo, hi), exact_ok=False):
        return None
    form = ctx.pick(
        [
            "{x}.clamp({lo}, {hi})",
            "{x}.clamp(min={lo})",
            "{x}.clamp(max={hi})",
            "M.clamp({x}, {lo}, {hi})",
            "M.clamp({x}, min={lo}, max={hi})",
            "{x}.clip({lo}, {hi})",
            "M.clip({x}, max={hi})",
        ]
    )
    return ctx.emit(form.format(x=x, lo=lo, hi=hi), x)


def _bool_value(ctx: Ctx, shape: tuple[int, ...]) -> tuple[str, tuple[Val, ...]]:
    """A bool mask that broadcasts to `shape`: from the pool, a literal, or a comparison written inline."""
    cands = ctx.pool("bool", lambda v: _broadcasts_to(v.shape, shape))
    if cands and ctx.coin(0.4):
        m = ctx.choose(cands)
        return m.name, (m,)
    mshape = ctx.bshape(shape, result_shape=True)
    return ctx.bools(ctx.rng.random(mshape) < 0.5), ()


def _broadcasts_to(s: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(s, target) == target
    except ValueError:
        return False


@op("where", "elementwise", 1.2)
def _where(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    m, mreads = _bool_value(ctx, x.shape)
    if ctx.coin(0.3):
        s = ctx.scalar()
        form = ctx.pick([f"M.where({m}, {x}, {s})", f"M.where({m}, {s}, {x})", f"{x}.where({m}, {s})"])
        return ctx.emit(form, x, *mreads)
    y = ctx.partner(x)
    if y is None:
        return None
    form = ctx.pick([f"M.where({m}, {x}, {y})", f"{x}.where({m}, {y})"])
    return ctx.emit(form, x, y, *mreads)


@op("masked_fill", "elementwise", 1.0)
def _masked_fill(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    m, mreads = _bool_value(ctx, x.shape)
    if ctx.coin(0.3):
        v = ctx.fval(ndim=0, new_p=0.6)
        if v is None:
            return None
        form = ctx.pick([f"{x}.masked_fill({m}, {v})", f"M.masked_fill({x}, {m}, {v})"])
        return ctx.emit(form, x, v, *mreads)
    s = ctx.pick([0.0, -1.5, 2, 3.25])
    form = ctx.pick(
        [f"{x}.masked_fill({m}, {s})", f"M.masked_fill({x}, {m}, {s})", f"{x}.masked_fill(mask={m}, value={s})"]
    )
    return ctx.emit(form, x, *mreads)


@op("mixed_dtype_binary", "arithmetic", 0.8, covers=())
def _mixed(ctx: Ctx) -> Emit | None:
    """A float tensor with an integer or bool one (promotion), either side."""
    x = ctx.fval()
    if x is None:
        return None
    kind = ctx.pick(["int", "bool"])
    cands = ctx.pool(kind, lambda v: _broadcasts_to(v.shape, x.shape) or _broadcasts_to(x.shape, v.shape))
    if cands and ctx.coin(0.5):
        i = ctx.choose(cands)
        lit, reads = i.name, (x, i)
    else:
        shp = ctx.bshape(x.shape, result_shape=True)
        lit = ctx.ints(ctx.rng.integers(-3, 4, shp)) if kind == "int" else ctx.bools(ctx.rng.random(shp) < 0.5)
        reads = (x,)
    o = ctx.pick(["+", "*", "-"])
    form = f"{x} {o} {lit}" if ctx.coin(0.5) else f"{lit} {o} {x}"
    return ctx.emit(form, *reads)


@op("compare", "logic", 1.2, covers=("eq", "ne", "lt", "le", "gt", "ge"))
def _compare(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    name = ctx.pick(["gt", "lt", "ge", "le", "eq", "ne"])
    sym = {"gt": ">", "lt": "<", "ge": ">=", "le": "<=", "eq": "==", "ne": "!="}[name]
    if ctx.coin(0.4):
        s = round(round(float(np.median(x.np())) if x.numel else 0.3, 1) + 0.05, 2)
        if not far(x.np(), (s,), exact_ok=False):
            return None
        return ctx.emit(ctx.pick([f"{x} {sym} {s}", f"{x}.{name}({s})", f"M.{name}({x}, {s})"]), x)
    xa = x.np()
    y = ctx.partner(x, lambda v: _safe_far(xa, v.np()))
    if y is None:
        return None
    return ctx.emit(ctx.pick([f"{x} {sym} {y}", f"{x}.{name}({y})", f"M.{name}({x}, {y})"]), x, y)


def _safe_far(a: np.ndarray, b: np.ndarray, exact_ok: bool = True) -> bool:
    try:
        return far(a - b, exact_ok=exact_ok)
    except ValueError:
        return False


@op("logic", "logic", 0.6, covers=("any", "all"))
def _logic(ctx: Ctx) -> Emit | None:
    bs = ctx.pool("bool")
    if not bs:
        x = ctx.fval()
        if x is None:
            return None
        return ctx.emit(ctx.pick([f"{x}.any()", f"{x}.all()", f"M.any({x})", f"({x} > 0).all()"]), x)
    b = ctx.choose(bs)
    forms = [
        f"~{b}",
        f"{b}.any()",
        f"{b}.all()",
        f"{b}.sum()",
        f"{b}.float()",
        f"{b}.long()",
        f"M.any({b}, {ctx.dim(b.ndim)})" if b.ndim else f"{b}.any()",
        f"{b}.all(dim={ctx.dim(b.ndim)}, keepdim=True)" if b.ndim else f"{b}.all()",
        f"{b}.nonzero()",
        f"M.nonzero({b})",
        f"{b} & {b}",
        f"{b} | ~{b}",
        f"{b} ^ {b}",
        f"{b}.sum(0)" if b.ndim else f"{b}.sum()",
    ]
    others = [c for c in bs if _broadcasts_to(c.shape, b.shape) and c is not b]
    if others:
        c = ctx.choose(others)
        forms += [f"{b} & {c}", f"{b} | {c}", f"{b} ^ {c}"]
        return ctx.emit(ctx.pick(forms), b, c)
    return ctx.emit(ctx.pick(forms), b)


@op("int_arith", "logic", 0.6, covers=())
def _int_arith(ctx: Ctx) -> Emit | None:
    ints = ctx.pool("int")
    if ints and ctx.coin(0.7):
        i = ctx.choose(ints)
        reads: tuple[Val, ...] = (i,)
        name = i.name
    else:
        name = ctx.ints(ctx.rng.integers(-4, 5, ctx.shape(ctx.randint(0, 2))))
        reads = ()
    form = ctx.pick(
        [
            "{i} + 1",
            "{i} * 2",
            "{i} * 2.5",
            "{i} / 2",
            "{i} // 2",
            "{i} % 3",
            "-{i}",
            "{i}.sum()",
            "{i}.float()",
            "{i}.double()",
            "{i}.abs()",
            "{i} == 1",
            "{i}.max()",
            "{i} + 0.5",
            "2 ** {i}",
            "{i}.float().mean()",
            "{i} * {i}",
            "{i}.cumsum(0)",
            "M.where({i} > 0, {i}, 0)",
            "{i}.sign()",
            "{i}.clamp(min=0)",
            "{i}.to(M.float64)",
            "{i}.flip(0)",
            "{i}.sort()",
            "{i}.argmax()",
        ]
    )
    if ("cumsum" in form or "flip" in form or "sort" in form) and "[" not in name and not (reads and reads[0].ndim):
        form = "{i} + 1"
    return ctx.emit(form.format(i=name), *reads)


@op("isfinite", "logic", 0.3, covers=("isnan", "isfinite", "isinf"))
def _isfinite(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    return ctx.emit(ctx.pick([f"M.isnan({x})", f"M.isfinite({x})", f"M.isinf({x})", f"{x}.isnan()",
                              f"{x}.isfinite()", f"{x}.isinf()"]), x)


@op("cast", "dtype", 1.0, covers=("type_as", "to", "float", "double", "long", "int", "bool"))
def _cast(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    other = "float64" if x.dtype == "float32" else "float32"
    forms = [f"{x}.double()", f"{x}.float()", f"{x}.to(M.{other})", f"{x}.to(dtype=M.{other})", f"{x}.type(M.{other})"]
    ys = ctx.pool("float", lambda v: v.dtype == other)
    if ys:
        y = ctx.choose(ys)
        return ctx.emit(ctx.pick(forms + [f"{x}.type_as({y})", f"{x}.to({y})"]), x, y)
    if far_from_grid(x.np()) and ctx.coin(0.3):
        forms = [f"{x}.long()", f"{x}.int()", f"{x}.to(M.int64)"]
    if ctx.coin(0.1):
        forms = [f"{x}.bool()"]
    return ctx.emit(ctx.pick(forms), x)


# ================================================================ reductions
def _reduce_dim_args(ctx: Ctx, x: Val, tuple_ok: bool = True) -> tuple[str, int | tuple[int, ...] | None]:
    if x.ndim == 0 or ctx.coin(0.25):
        if x.ndim == 0 and ctx.coin(0.3):
            d = ctx.pick([0, -1])
            return f"{d}", d
        return "", None
    if tuple_ok and ctx.coin(0.3):
        ds = ctx.dims(x.ndim)
        return (f"{list(ds)}" if ctx.coin(0.3) else f"{ds}"), ds
    d = ctx.dim(x.ndim)
    return f"{d}", d


def _red_dims(x: Val, d: Any) -> tuple[int, ...] | None:
    if d is None or x.ndim == 0:
        return None
    ds = (d,) if isinstance(d, int) else tuple(d)
    return tuple(sorted(k % x.ndim for k in ds))


@op("sum", "reductions", 1.5)
def _sum(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    ds, _ = _reduce_dim_args(ctx, x)
    k = ctx.coin(0.4)
    if not ds:
        return ctx.emit(ctx.pick([f"{x}.sum()", f"M.sum({x})", f"{x}.sum(dtype=M.float64)"]), x)
    return ctx.emit(
        ctx.pick(
            [
                f"{x}.sum({ds})",
                f"{x}.sum(dim={ds}, keepdim={k})",
                f"M.sum({x}, {ds}, keepdim={k})",
                f"{x}.sum(axis={ds}, keepdims={k})",
                f"{x}.sum({ds}, {k})",
            ]
        ),
        x,
    )


@op("prod", "reductions", 1.0)
def _prod(ctx: Ctx) -> Emit | None:
    # Products of a few factors of moderate size: far from overflow and underflow in float32.
    x = ctx.fval(lambda v: v.numel <= 24 and finite_small(v.np(), 3))
    if x is None:
        return None
    k = ctx.coin(0.4)
    if x.ndim == 0 or ctx.coin(0.3):
        return ctx.emit(ctx.pick([f"{x}.prod()", f"M.prod({x})", f"{x}.prod(dtype=M.float64)"]), x)
    d = ctx.dim(x.ndim)
    return ctx.emit(
        ctx.pick([f"{x}.prod({d})", f"{x}.prod(dim={d}, keepdim={k})", f"M.prod({x}, {d}, keepdim={k})",
                  f"{x}.prod({d}, {k})"]),
        x,
    )


@op("mean", "reductions", 1.2)
def _mean(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.numel > 0)
    if x is None:
        return None
    ds, _ = _reduce_dim_args(ctx, x)
    k = ctx.coin(0.4)
    if not ds:
        return ctx.emit(ctx.pick([f"{x}.mean()", f"M.mean({x})"]), x)
    return ctx.emit(
        ctx.pick(
            [
                f"{x}.mean({ds})",
                f"{x}.mean(dim={ds}, keepdim={k})",
                f"M.mean({x}, {ds}, keepdim={k})",
                f"{x}.mean(axis={ds}, keepdims={k})",
            ]
        ),
        x,
    )


def _amax_like(name: str) -> None:
    def gen(ctx: Ctx) -> Emit | None:
        x = ctx.fval(lambda v: v.numel > 0 and no_near_ties(v.np(), exact_ok=True))
        if x is None:
            return None
        ds, _ = _reduce_dim_args(ctx, x)
        k = ctx.coin(0.4)
        if not ds:
            return ctx.emit(ctx.pick([f"{x}.{name}()", f"M.{name}({x})"]), x)
        return ctx.emit(
            ctx.pick([f"{x}.{name}({ds})", f"{x}.{name}(dim={ds}, keepdim={k})", f"M.{name}({x}, {ds}, {k})"]), x
        )

    CATALOGUE.append(OpSpec(name, "reductions", gen, 1.0, (name,)))


_amax_like("amax")
_amax_like("amin")


def _max_like(name: str) -> None:
    def gen(ctx: Ctx) -> Emit | None:
        x = ctx.fval(lambda v: v.numel > 0 and no_near_ties(v.np(), exact_ok=True))
        if x is None:
            return None
        if ctx.coin(0.3):
            return ctx.emit(ctx.pick([f"{x}.{name}()", f"M.{name}({x})"]), x)
        d = ctx.dim(x.ndim)
        k = ctx.coin(0.4)
        return ctx.emit(
            ctx.pick(
                [
                    f"{x}.{name}({d})",
                    f"{x}.{name}(dim={d}, keepdim={k})",
                    f"M.{name}({x}, {d}, {k})",
                    f"{x}.{name}({d}).values",
                    f"{x}.{name}({d})[1]",
                ]
            ),
            x,
        )

    CATALOGUE.append(OpSpec(name, "reductions", gen, 1.0, (name,)))


_max_like("max")
_max_like("min")


@op("argmax", "reductions", 0.6, covers=("argmax", "argmin"))
def _argmax(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.numel > 0 and no_near_ties(v.np(), exact_ok=True))
    if x is None:
        return None
    name = ctx.pick(["argmax", "argmin"])
    if ctx.coin(0.3):
        return ctx.emit(ctx.pick([f"{x}.{name}()", f"M.{name}({x})"]), x)
    d = ctx.dim(x.ndim)
    return ctx.emit(ctx.pick([f"{x}.{name}({d})", f"{x}.{name}(dim={d}, keepdim=True)", f"M.{name}({x}, {d})"]), x)


def _var_like(name: str) -> None:
    def gen(ctx: Ctx) -> Emit | None:
        x = ctx.fval(lambda v: v.numel > 1 and finite_small(v.np(), 50))
        if x is None:
            return None
        ds, _ = _reduce_dim_args(ctx, x)
        k = ctx.coin(0.4)
        ub = ctx.coin(0.7)
        c = ctx.pick([0, 1, 2])
        if not ds:
            forms = [f"{x}.{name}()", f"M.{name}({x})", f"{x}.{name}(unbiased={ub})", f"{x}.{name}(correction={c})"]
        else:
            forms = [
                f"{x}.{name}({ds})",
                f"{x}.{name}(dim={ds}, unbiased={ub}, keepdim={k})",
                f"M.{name}({x}, {ds})",
                f"{x}.{name}({ds}, correction={c}, keepdim={k})",
                f"{x}.{name}({ds}, {ub}, {k})",
            ]
        check = (
            (lambda outs: bool(np.all(outs[0].detach().double().numpy() > 0.05)))
            if name == "std"
            else (lambda outs: bool(np.all(outs[0].detach().double().numpy() > 0.0025)))
        )
        return ctx.emit(ctx.pick(forms), x, check=check)

    CATALOGUE.append(OpSpec(name, "reductions", gen, 1.0, (name,)))


_var_like("var")
_var_like("std")


@op("logsumexp", "reductions", 1.0)
def _logsumexp(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: finite_small(v.np(), 50))
    if x is None:
        return None
    ds, _ = _reduce_dim_args(ctx, x)
    ds = ds or "0" if x.ndim == 0 else ds or f"{ctx.dim(x.ndim)}"
    k = ctx.coin(0.4)
    return ctx.emit(
        ctx.pick([f"{x}.logsumexp({ds})", f"M.logsumexp({x}, {ds})", f"{x}.logsumexp(dim={ds}, keepdim={k})"]), x
    )


@op("norm", "reductions", 1.2)
def _norm(ctx: Ctx) -> Emit | None:
    p = ctx.pick(["'fro'", 2, 1, 3, "math.inf", 2.5, "-math.inf"])
    x = ctx.fval(lambda v: v.numel > 0 and finite_small(v.np(), 50))
    if x is None:
        return None
    a = x.np()
    if p in (1, 3, 2.5) and not far(a):
        return None
    if p in ("math.inf", "-math.inf") and not no_near_ties(np.abs(a), exact_ok=False):
        return None
    ds, _ = _reduce_dim_args(ctx, x)
    k = ctx.coin(0.4)
    if p == "'fro'" and ds and ds.startswith(("(", "[")) and len(eval(ds)) > 2:  # noqa: S307
        ds = ""
    forms = (
        [f"{x}.norm()", f"M.norm({x})", f"{x}.norm(p={p})"]
        if not ds
        else [f"{x}.norm({p}, {ds})", f"{x}.norm(p={p}, dim={ds}, keepdim={k})", f"M.norm({x}, {p}, {ds}, {k})"]
    )
    return ctx.emit(ctx.pick(forms), x, check=lambda outs: bool(np.all(outs[0].detach().double().numpy() > 0.05)))


@op("cumsum", "reductions", 1.0)
def _cumsum(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    return ctx.emit(
        ctx.pick(
            [
                f"{x}.cumsum({d})",
                f"M.cumsum({x}, {d})",
                f"{x}.cumsum(dim={d})",
                f"M.cumsum({x}, dim={d}, dtype=M.float64)",
            ]
        ),
        x,
    )


@op("softmax", "reductions", 1.2, covers=("softmax", "log_softmax"))
def _softmax(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: finite_small(v.np(), 50))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    name = ctx.pick(["softmax", "log_softmax"])
    return ctx.emit(
        ctx.pick(
            [
                f"{x}.{name}({d})",
                f"M.{name}({x}, {d})",
                f"{x}.{name}(dim={d})",
                f"F.{name}({x}, dim={d})",
                f"F.{name}({x}, {d})",
            ]
        ),
        x,
    )


@op("sort", "reductions", 1.0, covers=("sort", "argsort"))
def _sort(ctx: Ctx) -> Emit | None:
    stable = ctx.coin(0.4)
    x = ctx.fval(lambda v: no_near_ties(v.np(), exact_ok=stable))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    desc = ctx.coin(0.4)
    st = ", stable=True" if stable else ""
    forms = [
        f"{x}.sort({d}{st})",
        f"{x}.sort(dim={d}, descending={desc}{st})",
        f"M.sort({x}, {d}, {desc}{st})",
        f"{x}.argsort(dim={d}, descending={desc}{st})",
        f"{x}.sort(descending={desc}{st}).values",
        f"M.argsort({x}, {d}{st})",
    ]
    if not stable:
        forms += [f"{x}.sort()", f"{x}.argsort()"]
    return ctx.emit(ctx.pick(forms), x)


@op("topk", "reductions", 1.0)
def _topk(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: no_near_ties(v.np(), exact_ok=False))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    n = x.shape[d] if x.ndim else 1
    k = ctx.randint(0, n)
    lg = ctx.coin(0.7)
    return ctx.emit(
        ctx.pick(
            [
                f"{x}.topk({k}, {d})",
                f"{x}.topk({k}, dim={d}, largest={lg})",
                f"M.topk({x}, {k}, {d}, {lg})",
                f"{x}.topk({k}, {d}).values" if x.ndim else f"{x}.topk({k})",
            ]
        ),
        x,
    )


# ================================================================ shapes
def _factor(ctx: Ctx, n: int, k: int) -> list[int]:
    """n written as a product of k positive factors, in a random way."""
    fs = [1] * k
    m = n
    p = 2
    while m > 1 and k:
        while m % p == 0:
            fs[ctx.randint(0, k - 1)] *= p
            m //= p
        p += 1
    return fs


@op("reshape", "shapes", 1.5, covers=("reshape", "view"))
def _reshape(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    n = x.numel
    k = ctx.randint(0, 4) if n == 1 else ctx.randint(1, 4)
    if n == 0:
        dims = [0] + [ctx.randint(1, 3) for _ in range(k - 1)]
        ctx.rng.shuffle(dims)
    else:
        dims = _factor(ctx, n, k)
    if dims and n and ctx.coin(0.4):
        dims[ctx.randint(0, len(dims) - 1)] = -1
    shp = ", ".join(str(d) for d in dims)
    tup = f"({shp},)" if len(dims) == 1 else f"({shp})"
    name = ctx.pick(["reshape", "reshape", "view"])
    forms = [f"{x}.{name}({shp})" if dims else f"{x}.{name}(())", f"{x}.{name}({tup})", f"M.reshape({x}, {tup})"]
    return ctx.emit(ctx.pick(forms), x)


@op("flatten", "shapes", 0.8, covers=("flatten", "unflatten"))
def _flatten(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    if x.ndim and ctx.coin(0.35):
        d = ctx.dim(x.ndim)
        n = x.shape[d]
        k = ctx.randint(1, 3)
        sizes = _factor(ctx, n, k) if n else [0] + [1] * (k - 1)
        if n and ctx.coin(0.3):
            sizes[0] = -1
        return ctx.emit(ctx.pick([f"{x}.unflatten({d}, {tuple(sizes)})", f"{x}.unflatten({d}, {list(sizes)})"]), x)
    if x.ndim == 0:
        return ctx.emit(f"{x}.flatten()", x)
    s, e = sorted([ctx.randint(0, x.ndim - 1), ctx.randint(0, x.ndim - 1)])
    if ctx.coin(0.3):
        s -= x.ndim
    return ctx.emit(
        ctx.pick(
            [
                f"{x}.flatten()",
                f"{x}.flatten({s}, {e})",
                f"M.flatten({x}, {s}, {e})",
                f"{x}.flatten(start_dim={s})",
                f"M.flatten({x}, end_dim={e})",
            ]
        ),
        x,
    )


@op("transpose", "shapes", 1.2, covers=("transpose", "T", "mT", "t"))
def _transpose(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    a, b = ctx.dim(x.ndim), ctx.dim(x.ndim)
    forms = [f"{x}.transpose({a}, {b})", f"M.transpose({x}, {a}, {b})", f"{x}.swapaxes({a}, {b})"]
    if x.ndim <= 2:
        forms += [f"{x}.T", f"{x}.t()"]
    if x.ndim >= 2:
        forms += [f"{x}.mT"]
    return ctx.emit(ctx.pick(forms), x)


@op("permute", "shapes", 1.0, covers=("permute", "movedim"))
def _permute(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    perm = [int(p) for p in ctx.rng.permutation(x.ndim)]
    perm = [p - x.ndim if ctx.coin(0.2) else p for p in perm]
    if x.ndim and ctx.coin(0.3):
        return ctx.emit(
            ctx.pick(
                [
                    f"{x}.movedim({ctx.dim(x.ndim)}, {ctx.dim(x.ndim)})",
                    f"{x}.moveaxis({ctx.dim(x.ndim)}, {ctx.dim(x.ndim)})",
                ]
            ),
            x,
        )
    pt = f"({', '.join(map(str, perm))}{',' if len(perm) == 1 else ''})"
    forms = [f"{x}.permute({pt})", f"M.permute({x}, {pt})"]
    if perm:
        forms.append(f"{x}.permute({', '.join(map(str, perm))})")
    return ctx.emit(ctx.pick(forms), x)


@op("squeeze", "shapes", 1.0, covers=("squeeze", "unsqueeze"))
def _squeeze(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    if ctx.coin(0.5):
        d = ctx.dim(x.ndim, new=True)
        return ctx.emit(ctx.pick([f"{x}.unsqueeze({d})", f"M.unsqueeze({x}, {d})", f"{x}.unsqueeze(dim={d})"]), x)
    forms = [f"{x}.squeeze()", f"M.squeeze({x})"]
    d = ctx.dim(x.ndim)
    forms += [f"{x}.squeeze({d})", f"M.squeeze({x}, {d})"]
    if x.ndim >= 2:
        forms.append(f"{x}.squeeze({ctx.dims(x.ndim)})")
    return ctx.emit(ctx.pick(forms), x)


@op("expand", "shapes", 1.0, covers=("expand", "broadcast_to", "expand_as"))
def _expand(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.numel <= 60)
    if x is None:
        return None
    lead = [ctx.randint(1, 3) for _ in range(ctx.randint(0, 2))]
    full = [n if n != 1 or ctx.coin(0.5) else ctx.randint(1, 3) for n in x.shape]
    sizes = lead + [(-1 if ctx.coin(0.3) else f) if f == n else f for f, n in zip(full, x.shape)]
    target = tuple(lead + full)
    if int(np.prod(target, dtype=np.int64)) > MAX_NUMEL:
        return None
    forms = [
        f"{x}.expand({', '.join(map(str, sizes))})" if sizes else f"{x}.expand(())",
        f"{x}.expand({tuple(sizes)})",
        f"{x}.broadcast_to({target})",
        f"M.broadcast_to({x}, {target})",
    ]
    ys = ctx.pool("float", lambda v: _broadcasts_to(x.shape, v.shape) and v.shape != x.shape)
    if ys:
        y = ctx.choose(ys)
        return ctx.emit(ctx.pick(forms + [f"{x}.expand_as({y})"] * 2), x, y)
    return ctx.emit(ctx.pick(forms), x)


@op("flip", "shapes", 0.8, covers=("flip", "roll"))
def _flip(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    if ctx.coin(0.5):
        ds = ctx.dims(x.ndim)
        return ctx.emit(
            ctx.pick(
                [f"{x}.flip({ds})", f"M.flip({x}, {ds})", f"{x}.flip({ds[0]})", f"{x}.flip({', '.join(map(str, ds))})"]
            ),
            x,
        )
    s = ctx.randint(-5, 5)
    if x.ndim and ctx.coin(0.6):
        ds = ctx.dims(x.ndim)
        sh = tuple(ctx.randint(-4, 4) for _ in ds)
        return ctx.emit(
            ctx.pick(
                [
                    f"{x}.roll({sh}, {ds})",
                    f"M.roll({x}, {sh}, {ds})",
                    f"{x}.roll({s}, {ds[0]})",
                    f"{x}.roll(shifts={s}, dims={ds[0]})",
                ]
            ),
            x,
        )
    return ctx.emit(ctx.pick([f"{x}.roll({s})", f"M.roll({x}, {s})"]), x)


@op("repeat", "shapes", 0.7)
def _repeat(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.numel <= 40)
    if x is None:
        return None
    reps = [ctx.randint(0, 3) if ctx.coin(0.1) else ctx.randint(1, 3) for _ in range(x.ndim + ctx.randint(0, 1))]
    if int(np.prod(reps, dtype=np.int64)) * x.numel > MAX_NUMEL:
        return None
    forms = [f"{x}.repeat({tuple(reps)})"] + ([f"{x}.repeat({', '.join(map(str, reps))})"] if reps else [])
    return ctx.emit(ctx.pick(forms), x)


@op("tril", "shapes", 0.7, covers=("tril", "triu"))
def _tril(ctx: Ctx) -> Emit | None:
    x = ctx.fval(ndim=range(2, 5))
    if x is None:
        return None
    name = ctx.pick(["tril", "triu"])
    k = ctx.randint(-2, 2)
    return ctx.emit(
        ctx.pick([f"{x}.{name}()", f"{x}.{name}({k})", f"M.{name}({x}, {k})", f"M.{name}({x}, diagonal={k})"]), x
    )


@op("narrow", "shapes", 0.7)
def _narrow(ctx: Ctx) -> Emit | None:
    x = ctx.fval(ndim=range(1, 5))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    n = x.shape[d]
    s = ctx.randint(0, n)
    ln = ctx.randint(0, n - s)
    if s and ctx.coin(0.3):
        s -= n
    return ctx.emit(ctx.pick([f"{x}.narrow({d}, {s}, {ln})", f"M.narrow({x}, {d}, {s}, {ln})"]), x)


@op("unbind", "shapes", 0.6)
def _unbind(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and 1 <= max(v.shape) and min(v.shape) >= 1, ndim=range(1, 5))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    return ctx.emit(ctx.pick([f"{x}.unbind({d})", f"M.unbind({x}, {d})", f"{x}.unbind(dim={d})"]), x)


@op("split", "shapes", 1.0, covers=("split", "chunk"))
def _split(ctx: Ctx) -> Emit | None:
    x = ctx.fval(ndim=range(1, 5))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    n = x.shape[d]
    if ctx.coin(0.35):
        c = ctx.randint(1, 4)
        return ctx.emit(ctx.pick([f"{x}.chunk({c}, {d})", f"M.chunk({x}, {c}, {d})", f"{x}.chunk({c}, dim={d})"]), x)
    if ctx.coin(0.5) or n == 0:
        s = ctx.randint(1, max(n, 1) + 1)
        return ctx.emit(ctx.pick([f"{x}.split({s}, {d})", f"M.split({x}, {s}, {d})", f"{x}.split({s}, dim={d})"]), x)
    cuts = sorted(ctx.randint(0, n) for _ in range(ctx.randint(1, 2)))
    secs = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    return ctx.emit(ctx.pick([f"{x}.split({secs}, {d})", f"M.split({x}, {secs}, dim={d})"]), x)


@op("view_as", "shapes", 0.4, covers=("view_as", "reshape_as"))
def _view_as(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    ys = ctx.pool("float", lambda v: v.numel == x.numel and v.shape != x.shape)
    if not ys:
        return None
    y = ctx.choose(ys)
    return ctx.emit(ctx.pick([f"{x}.reshape_as({y})", f"{x}.view_as({y})"]), x, y)


@op(
    "new",
    "creation",
    0.6,
    covers=("new_zeros", "new_ones", "new_full", "new_tensor", "zeros_like", "ones_like", "full_like", "empty"),
)
def _new(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    s = ctx.shape(ctx.randint(0, 2))
    forms = [
        f"{x}.new_zeros({s})",
        f"{x}.new_ones({s})",
        f"{x}.new_full({s}, 2.5)",
        f"{x}.new_tensor([1.5, 2.0])",
        f"{x}.new_tensor(3)",
        f"M.zeros_like({x})",
        f"M.ones_like({x})",
        f"M.full_like({x}, -1.5)",
        f"M.ones_like({x}, dtype=M.float64)",
        f"M.zeros_like({x}, dtype=M.int64)",
        f"{x}.new_zeros({s}, dtype=M.int64)",
        f"{x} + M.ones_like({x})",
        f"M.full_like({x}, 2)",
        f"{x}.new_empty({s}).shape",
    ]
    return ctx.emit(ctx.pick(forms), x)


@op("creation", "creation", 0.8, covers=("tensor", "zeros", "ones", "full", "arange", "linspace", "eye", "from_numpy"))
def _creation(ctx: Ctx) -> Emit | None:
    s = ctx.shape(ctx.randint(0, 3))
    dt = ctx.dtype
    forms = [
        f"M.zeros({s})",
        f"M.zeros({s}, dtype=M.{dt})",
        f"M.ones({s}, dtype=M.{dt})",
        f"M.ones({', '.join(map(str, s))})" if s else "M.ones(())",
        f"M.full({s}, 2.5)",
        f"M.full({s}, 3)",
        f"M.full({s}, 0.5, dtype=M.{dt})",
        f"M.full({s}, True)",
        "M.arange(5)",
        "M.arange(1, 4, 0.5)",
        "M.arange(0.0, 1.0, 0.25)",
        f"M.arange(4, dtype=M.{dt})",
        "M.arange(-1, 1, 0.1)",
        "M.arange(2, 9, 3)",
        "M.linspace(0, 1, 5)",
        f"M.linspace(-1, 2, steps=4, dtype=M.{dt})",
        "M.linspace(3, 3, 1)",
        "M.eye(3)",
        "M.eye(2, 3)",
        f"M.eye(3, dtype=M.{dt})",
        "M.eye(0)",
        "M.from_numpy(np.array([1.5, -2.0]))",
        "M.from_numpy(np.arange(6).reshape(2, 3))",
        "M.tensor(2.5)",
        "M.tensor([1, 2])",
        "M.tensor(3)",
        "M.tensor([[1.0, 2.0], [3.5, 4.0]])",
        "M.tensor(True)",
        "M.tensor([])",
        f"M.tensor([0.25, 1.0], dtype=M.{dt})",
        f"M.ones({s}, dtype=M.{dt}, requires_grad=True)",
        f"M.full({s}, 0.75, dtype=M.{dt}, requires_grad=True)",
        f"M.tensor([0.5, -1.25], dtype=M.{dt}, requires_grad=True)",
        f"M.zeros({s}, dtype=M.{dt}, requires_grad=True)",
    ]
    return ctx.emit(ctx.pick(forms))


@op("random_creation", "creation", 0.3,
    covers=("randn", "rand", "randint", "randperm", "empty", "manual_seed", "normal", "multinomial", "bernoulli",
            "normal_", "uniform_", "exponential_", "bernoulli_"))
def _random_creation(ctx: Ctx) -> Emit | None:
    s = ctx.shape(ctx.randint(0, 3))
    forms = [
        f"M.randn({s})",
        f"M.rand({s}, dtype=M.float64)",
        f"M.randint(0, 5, {s})",
        f"M.randint(5, {s})",
        "M.randperm(4)",
        f"M.empty({s})",
        f"M.empty({s}, dtype=M.int64)",
        f"M.randn({', '.join(map(str, s))})" if s else "M.randn(())",
        f"M.rand({s}, requires_grad=True)",
        f"M.zeros_like(M.randn({s}))",
        "M.rand(2)",
        f"M.normal(0.0, 2.0, {s})",
        f"M.normal(M.zeros({s}, dtype=M.float64), 2.0)",
        "M.multinomial(M.ones(4), 2)",
        "M.multinomial(M.rand(2, 3) + 0.1, 5, replacement=True)",
        "(M.rand(2, 3) + 0.1).multinomial(2)",
        f"M.bernoulli(M.rand({s}))",
        f"M.rand({s}).bernoulli(0.25)",
        f"M.zeros({s}).normal_(1.0, 0.5)",
        f"M.zeros({s}, dtype=M.float64).uniform_(-1.0, 2.0)",
        f"M.zeros({s}).exponential_(2.0)",
        f"M.zeros({s}).bernoulli_(0.3)",
    ]
    return ctx.emit(ctx.pick(forms), opaque=True)


# ================================================================ indexing
def _index_expr(ctx: Ctx, shape: tuple[int, ...], basic_only: bool = False) -> str:
    """A random index for a tensor of `shape`: ints, slices, None, ..., int lists and tensors, bool masks."""
    nd = len(shape)
    front = ctx.randint(0, nd)
    use_ell = ctx.coin(0.3)
    back = ctx.randint(0, nd - front) if use_ell else 0
    dims = list(range(front)) + list(range(nd - back, nd))
    adv_len = ctx.randint(1, 3)
    n_adv = 0
    items: list[str] = []

    def item(d: int) -> str:
        nonlocal n_adv
        n = shape[d]
        kinds = ["int", "slice", "slice"] if n else ["slice"]
        if not basic_only and n:
            kinds += ["list", "tensor", "mask", "int0d"]
        k = ctx.pick(kinds)
        if k == "int":
            return str(ctx.randint(-n, n - 1))
        if k == "slice":
            a = ctx.pick(["", str(ctx.randint(-n - 1, n + 1))])
            b = ctx.pick(["", str(ctx.randint(-n - 1, n + 1))])
            st = ctx.pick(["", "", ":2", ":3"])
            return f"{a}:{b}{st}"
        if k == "int0d":
            return f"M.tensor({ctx.randint(-n, n - 1)})"
        n_adv += 1
        if k == "mask":
            m = ctx.rng.random(n) < 0.5
            if n_adv > 1:
                m[:] = False
                m[ctx.rng.permutation(n)[: min(adv_len, n)]] = True
            return ctx.bools(m)
        vals = ctx.rng.integers(-n, n, adv_len)
        if k == "list":
            return str([int(v) for v in vals])
        if ctx.coin(0.3):
            return ctx.ints(vals.reshape(1, -1) if ctx.coin(0.5) else vals.reshape(-1, 1))
        return ctx.ints(vals)

    for d in dims[:front]:
        items.append(item(d))
    if use_ell:
        items.append("...")
    for d in dims[front:]:
        items.append(item(d))
    for _ in range(ctx.randint(0, 1) if ctx.coin(0.3) else 0):
        items.insert(ctx.randint(0, len(items)), "None")
    if not items:
        items = [ctx.pick(["...", ":", "None"])]
    if len(items) == 1 and ctx.coin(0.7):
        return items[0]
    return ", ".join(items)


@op("getitem", "indexing", 2.5, covers=("getitem", "index"))
def _getitem(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    if ctx.coin(0.2):
        bs = ctx.pool("bool", lambda v: 1 <= v.ndim <= x.ndim and v.shape == x.shape[: v.ndim])
        if bs:
            b = ctx.choose(bs)
            return ctx.emit(f"{x}[{b}]", x, b)
        if x.numel and x.ndim:
            c = round(round(float(np.median(x.np())), 1) + 0.05, 2)
            if far(x.np(), (c,), exact_ok=False):
                return ctx.emit(f"{x}[{x} > {c}]", x)
    return ctx.emit(f"{x}[{_index_expr(ctx, x.shape)}]", x)


@op("gather", "indexing", 1.0)
def _gather(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and min(v.shape) >= 1, ndim=range(1, 5))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    dd = d % x.ndim
    ishape = tuple(
        ctx.randint(0 if ctx.coin(0.05) else 1, 4) if k == dd else ctx.randint(1, n) for k, n in enumerate(x.shape)
    )
    idx = ctx.ints(ctx.rng.integers(0, x.shape[dd], ishape))
    return ctx.emit(
        ctx.pick([f"{x}.gather({d}, {idx})", f"M.gather({x}, {d}, {idx})", f"{x}.gather(dim={d}, index={idx})"]), x
    )


@op("index_select", "indexing", 0.8)
def _index_select(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and min(v.shape) >= 1, ndim=range(1, 5))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    n = x.shape[d]
    vals = ctx.rng.integers(0, n, ctx.randint(0, 4))
    idx = ctx.ints(vals) if len(vals) else "M.tensor([], dtype=M.int64)"
    return ctx.emit(ctx.pick([f"{x}.index_select({d}, {idx})", f"M.index_select({x}, {d}, {idx})"]), x)


def _unique_index(ctx: Ctx, xshape: tuple[int, ...], d: int) -> np.ndarray:
    """An index for scatter along d with no two entries writing to the same place."""
    dd = d % len(xshape)
    ishape = [ctx.randint(1, n) for n in xshape]
    cols = int(np.prod([n for k, n in enumerate(ishape) if k != dd], dtype=np.int64))
    idx = np.stack([ctx.rng.permutation(xshape[dd])[: ishape[dd]] for _ in range(cols)], axis=-1)
    idx = idx.reshape([ishape[dd]] + [n for k, n in enumerate(ishape) if k != dd])
    return np.moveaxis(idx, 0, dd)


@op("scatter", "indexing", 1.0, covers=("scatter", "scatter_add"))
def _scatter(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and min(v.shape) >= 1, ndim=range(1, 4))
    if x is None:
        return None
    d = ctx.dim(x.ndim)
    if ctx.coin(0.4):
        dd = d % x.ndim
        ishape = tuple(ctx.randint(1, 4) if k == dd else ctx.randint(1, n) for k, n in enumerate(x.shape))
        idx = ctx.ints(ctx.rng.integers(0, x.shape[dd], ishape))
        src = ctx.fval(shape=ishape, new_p=0.5, dtype=x.dtype)
        if src is None:
            return None
        return ctx.emit(
            ctx.pick([f"{x}.scatter_add({d}, {idx}, {src})", f"M.scatter_add({x}, {d}, {idx}, {src})"]), x, src
        )
    ia = _unique_index(ctx, x.shape, d)
    idx = ctx.ints(ia)
    if ctx.coin(0.3):
        return ctx.emit(ctx.pick([f"{x}.scatter({d}, {idx}, value=1.5)", f"{x}.scatter({d}, {idx}, -0.5)"]), x)
    src = ctx.fval(shape=ia.shape, new_p=0.5, dtype=x.dtype)
    if src is None:
        return None
    return ctx.emit(ctx.pick([f"{x}.scatter({d}, {idx}, {src})", f"M.scatter({x}, {d}, {idx}, {src})"]), x, src)


@op("cat", "indexing", 1.2, covers=("cat", "concatenate", "concat", "stack"))
def _cat(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.numel <= 100)
    if x is None:
        return None
    stack = x.ndim == 0 or ctx.coin(0.35)
    parts = [x]
    d = ctx.dim(x.ndim, new=stack)
    for _ in range(ctx.randint(0, 2)):
        if ctx.coin(0.25):
            parts.append(x)
            continue
        if stack:
            shp = x.shape
        else:
            dd = d % x.ndim
            shp = tuple(ctx.randint(0 if ctx.coin(0.1) else 1, 3) if k == dd else n for k, n in enumerate(x.shape))
        y = ctx.fval(shape=shp, new_p=0.5)
        if y is None:
            return None
        parts.append(y)
    lst = ", ".join(p.name for p in parts)
    if stack:
        form = ctx.pick([f"M.stack([{lst}], {d})", f"M.stack(({lst},), dim={d})"])
    else:
        form = ctx.pick(
            [
                f"M.cat([{lst}], {d})",
                f"M.cat(({lst},), dim={d})",
                f"M.concatenate([{lst}], {d})",
                f"M.concat([{lst}], dim={d})",
            ]
        )
    return ctx.emit(form, *parts)


@op("pad", "indexing", 0.9, covers=("pad", "constant"))
def _pad(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and v.numel <= 100, ndim=range(1, 5))
    if x is None:
        return None
    k = ctx.randint(1, x.ndim)
    pads = []
    for i in range(k):
        n = x.shape[x.ndim - 1 - i]
        lo = ctx.randint(-min(1, n // 2), 2)
        hi = ctx.randint(-min(1, max(n - max(-lo, 0) - 1, 0)), 2)
        pads += [lo, hi]
    v = ctx.pick([0.0, 1.5, -2])
    forms = [
        f"F.pad({x}, {tuple(pads)})",
        f"F.pad({x}, {pads}, value={v})",
        f"F.pad({x}, {tuple(pads)}, 'constant', {v})",
        (f"M.pad({x}, {tuple(pads)})", f"F.pad({x}, {tuple(pads)})"),
    ]
    return ctx.emit(ctx.pick(forms), x)


@op("pad_modes", "indexing", 0.15, covers=("reflect", "replicate", "circular"))
def _pad_modes(ctx: Ctx) -> Emit | None:
    """PyTorch's other pad modes (reflect, replicate, circular) on 2-4 dim inputs."""
    x = ctx.fval(lambda v: min(v.shape) >= 3, ndim=range(2, 5), lo=3)
    if x is None:
        return None
    mode = ctx.pick(["reflect", "replicate", "circular"])
    pads = (1, ctx.randint(0, 2))
    return ctx.emit(f"F.pad({x}, {pads}, mode='{mode}')", x)


# ================================================================ convolution and pooling
def _spatial(ctx: Ctx, nd: int, lo: int) -> Val | None:
    batched = ctx.coin(0.8)
    n = ctx.randint(1, 2)
    c = ctx.randint(1, 3)
    sp = tuple(ctx.randint(lo, lo + 3) for _ in range(nd))
    shape = ((n,) if batched else ()) + (c,) + sp
    return ctx.fval(lambda v: finite_small(v.np(), 20), shape=shape, new_p=0.5)


@op("conv", "conv", 1.5, covers=("conv1d", "conv2d"))
def _conv(ctx: Ctx) -> Emit | None:
    nd = ctx.pick([1, 2])
    x = _spatial(ctx, nd, 3)
    if x is None:
        return None
    cin = x.shape[-nd - 1]
    groups = ctx.pick([g for g in (1, 2, 3) if cin % g == 0])
    cout = groups * ctx.randint(1, 2)
    k = tuple(ctx.randint(1, 3) for _ in range(nd))
    w = ctx.leaf((cout, cin // groups) + k, "unit", dtype=x.dtype)
    b = ctx.leaf((cout,), "unit", dtype=x.dtype) if ctx.coin(0.6) else None
    stride = ctx.pick([1, 1, 2])
    padding: Any = ctx.pick([0, 1, "'valid'"] + (["'same'"] if stride == 1 else []))
    dil = ctx.pick([1, 1, 2])
    if nd == 2 and ctx.coin(0.3):
        stride = (stride, ctx.pick([1, 2]))
        if isinstance(padding, int):
            padding = (padding, ctx.pick([0, 1]))
    name = f"conv{nd}d"
    bs = b.name if b is not None else "None"
    args = f"{x}, {w}, {bs}, stride={stride}, padding={padding}, dilation={dil}, groups={groups}"
    form = ctx.pick(
        [f"F.{name}({args})", f"M.{name}({args})", f"F.{name}({x}, {w})" if b is None else f"F.{name}({x}, {w}, {b})"]
    )
    return ctx.emit(form, *(v for v in (x, w, b) if v is not None))


@op("conv_transpose", "conv", 1.0, covers=("conv_transpose1d", "conv_transpose2d"))
def _conv_transpose(ctx: Ctx) -> Emit | None:
    nd = ctx.pick([1, 2])
    x = _spatial(ctx, nd, 2)
    if x is None:
        return None
    cin = x.shape[-nd - 1]
    groups = ctx.pick([g for g in (1, 2, 3) if cin % g == 0])
    cout_per_group = ctx.randint(1, 2)
    k = tuple(ctx.randint(1, 3) for _ in range(nd))
    w = ctx.leaf((cin, cout_per_group) + k, "unit", dtype=x.dtype)
    b = ctx.leaf((groups * cout_per_group,), "unit", dtype=x.dtype) if ctx.coin(0.6) else None
    stride = ctx.pick([1, 2, 3])
    dil = ctx.pick([1, 1, 2])
    output_padding = ctx.randint(0, max(stride, dil) - 1)
    padding = ctx.pick([0, 0, 1])
    name = f"conv_transpose{nd}d"
    bs = b.name if b is not None else "None"
    args = (f"{x}, {w}, {bs}, stride={stride}, padding={padding}, output_padding={output_padding}, "
            f"groups={groups}, dilation={dil}")
    return ctx.emit(ctx.pick([f"F.{name}({args})", f"M.{name}({args})"]), *(v for v in (x, w, b) if v is not None))


@op("max_pool2d", "conv", 1.0)
def _max_pool(ctx: Ctx) -> Emit | None:
    x = _spatial(ctx, 2, 2)
    if x is None or not no_near_ties(x.np(), exact_ok=False):
        return None
    k = ctx.pick([2, 3, (2, 1), (1, 2)])
    kmin = min(k) if isinstance(k, tuple) else k
    stride = ctx.pick(["None", 1, 2, (1, 2)])
    pad = ctx.randint(0, kmin // 2)
    dil = ctx.pick([1, 1, 2])
    ceil = ctx.coin(0.3)
    ri = ctx.coin(0.3)
    form = ctx.pick(
        [
            f"F.max_pool2d({x}, {k})",
            f"F.max_pool2d({x}, {k}, {stride}, {pad}, {dil}, {ceil}, {ri})",
            f"F.max_pool2d({x}, kernel_size={k}, stride={stride}, padding={pad}, ceil_mode={ceil})",
            f"M.max_pool2d({x}, {k}, {stride}, {pad}, {dil}, {ceil})",
            f"F.max_pool2d({x}, {k}, return_indices=True)",
        ]
    )
    return ctx.emit(form, x)


@op("avg_pool2d", "conv", 1.0, covers=("avg_pool2d", "ceil_mode"))
def _avg_pool(ctx: Ctx) -> Emit | None:
    x = _spatial(ctx, 2, 2)
    if x is None:
        return None
    k = ctx.pick([2, 3, (2, 1)])
    kmin = min(k) if isinstance(k, tuple) else k
    stride = ctx.pick(["None", 1, 2])
    pad = ctx.randint(0, kmin // 2)
    ceil = ctx.coin(0.2)
    cip = ctx.coin(0.7)
    div = ctx.pick(["None", "None", 3])
    form = ctx.pick(
        [
            f"F.avg_pool2d({x}, {k})",
            f"F.avg_pool2d({x}, {k}, {stride}, {pad})",
            f"F.avg_pool2d({x}, {k}, {stride}, {pad}, {ceil}, {cip}, {div})",
            f"F.avg_pool2d({x}, kernel_size={k}, stride={stride}, padding={pad}, count_include_pad={cip})",
            (f"M.avg_pool2d({x}, {k}, {stride}, {pad})", f"F.avg_pool2d({x}, {k}, {stride}, {pad})"),
        ]
    )
    return ctx.emit(form, x)


@op("adaptive_avg_pool2d", "conv", 0.8)
def _adaptive(ctx: Ctx) -> Emit | None:
    x = _spatial(ctx, 2, 1)
    if x is None:
        return None
    h, w = x.shape[-2:]
    size = ctx.pick(
        [1, (1, 1), (ctx.randint(1, h + 1), ctx.randint(1, w + 1)), ctx.randint(1, 3), (None, ctx.randint(1, w))]
    )
    return ctx.emit(
        ctx.pick(
            [
                (f"M.adaptive_avg_pool2d({x}, {size})", f"F.adaptive_avg_pool2d({x}, {size})"),
                f"F.adaptive_avg_pool2d({x}, {size})",
                f"F.adaptive_avg_pool2d({x}, output_size={size})",
            ]
        ),
        x,
    )


@op("fused_lstm_cell", "recurrent", 0.5)
def _lstm(ctx: Ctx) -> Emit | None:
    b, h = ctx.randint(1, 3), ctx.randint(1, 3)
    ig = ctx.fval(lambda v: finite_small(v.np(), 10), shape=(b, 4 * h), new_p=0.6)
    hg = ctx.fval(lambda v: finite_small(v.np(), 10), shape=(b, 4 * h), new_p=0.8)
    cx = ctx.fval(lambda v: finite_small(v.np(), 10), shape=(b, h), new_p=0.6)
    if ig is None or hg is None or cx is None:
        return None
    return ctx.emit(
        (f"M.fused_lstm_cell({ig}, {hg}, {cx})", f"t_fused_lstm_cell({ig}, {hg}, {cx})"),
        ig,
        hg,
        cx,
        helpers=frozenset({"t_fused_lstm_cell"}),
    )


# ================================================================ nn.functional
@op("prelu", "nn", 0.6)
def _prelu(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: far(v.np()))
    if x is None:
        return None
    c = x.shape[1] if x.ndim >= 2 else 1
    w = ctx.leaf((ctx.pick([1, c]),), "unit", dtype=x.dtype)
    return ctx.emit(f"F.prelu({x}, {w})", x, w)


@op("normalize", "nn", 0.8, covers=("normalize",))
def _normalize(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and finite_small(v.np(), 30), ndim=range(1, 5))
    if x is None:
        return None
    p = ctx.pick([2, 1, 2.0, 3])
    d = ctx.dim(x.ndim) if (ctx.coin(0.6) or x.ndim < 2) else 1
    a = x.np()
    if p in (1, 3) and not far(a):
        return None
    if x.shape[d] < 2:  # one element: the result is the constant sign(x), its derivatives rounding noise
        return None
    norms = np.sum(np.abs(a) ** p, axis=d) ** (1 / p)
    if not np.all(norms > 0.05):
        return None
    forms = [f"F.normalize({x}, p={p}, dim={d})", f"F.normalize({x}, {p}, {d})", f"F.normalize({x}, dim={d}, eps=1e-6)"]
    if x.ndim >= 2 and d == 1:
        forms.append(f"F.normalize({x})")
    return ctx.emit(ctx.pick(forms), x)


@op("cosine_similarity", "nn", 0.8)
def _cosine(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and finite_small(v.np(), 30), ndim=range(1, 4))
    if x is None:
        return None
    y = ctx.partner(x, lambda v: finite_small(v.np(), 30))
    if y is None:
        return None
    try:
        shp = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        return None
    if not shp:
        return None
    d = ctx.dim(len(shp))
    if shp[d] < 2:  # one element: the result is the constant +-1, its derivatives rounding noise
        return None
    a, b = np.broadcast_to(x.np(), shp), np.broadcast_to(y.np(), shp)
    if not (np.all(np.linalg.norm(a, axis=d) > 0.1) and np.all(np.linalg.norm(b, axis=d) > 0.1)):
        return None
    forms = [f"F.cosine_similarity({x}, {y}, dim={d})", f"F.cosine_similarity({x}, {y}, {d}, 1e-6)"]
    if len(shp) >= 2 and d % len(shp) == 1:
        forms.append(f"F.cosine_similarity({x}, {y})")
    return ctx.emit(ctx.pick(forms), x, y)


@op("one_hot", "nn", 0.5)
def _one_hot(ctx: Ctx) -> Emit | None:
    ints = ctx.pool("int", lambda v: v.dtype == "int64" and v.numel <= 30 and (v.numel == 0 or v.np().min() >= 0))
    if ints and ctx.coin(0.6):
        i = ctx.choose(ints)
        top = int(i.np().max()) + 1 if i.numel else 1
        return ctx.emit(
            ctx.pick(
                [
                    f"F.one_hot({i})" if i.numel else f"F.one_hot({i}, {top})",
                    f"F.one_hot({i}, num_classes={top + ctx.randint(0, 2)})",
                ]
            ),
            i,
        )
    lit = ctx.ints(ctx.rng.integers(0, 4, ctx.shape(ctx.randint(0, 2))))
    return ctx.emit(ctx.pick([f"F.one_hot({lit}, 4)", f"F.one_hot({lit}, num_classes=5)", f"F.one_hot({lit}).float()"]))


@op("layer_norm", "nn", 0.8)
def _layer_norm(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: v.ndim >= 1 and v.numel > 0 and finite_small(v.np(), 30), ndim=range(1, 5))
    if x is None:
        return None
    k = ctx.randint(1, x.ndim)
    ns = x.shape[x.ndim - k :]
    a = x.np().reshape(x.shape[: x.ndim - k] + (-1,))
    if int(np.prod(ns)) < 2 or not np.all(a.var(axis=-1) > 1e-2):  # one element: output 0, gradients noise
        return None
    w = ctx.leaf(ns, "unit", dtype=x.dtype) if ctx.coin(0.5) else None
    b = ctx.leaf(ns, "unit", dtype=x.dtype) if ctx.coin(0.5) else None
    args = f"{x}, {list(ns) if ctx.coin(0.5) else ns}"
    if w is not None:
        args += f", {w}"
    if b is not None:
        args += f", bias={b}"
    if ctx.coin(0.3):
        args += ", eps=1e-3"
    return ctx.emit(f"F.layer_norm({args})", *(v for v in (x, w, b) if v is not None))


@op("batch_norm", "nn", 0.8)
def _batch_norm(ctx: Ctx) -> Emit | None:
    x = ctx.fval(
        lambda v: 2 <= v.ndim <= 4 and v.shape[1] >= 1 and v.numel > 0 and finite_small(v.np(), 30), ndim=range(2, 5)
    )
    if x is None:
        return None
    c = x.shape[1]
    training = ctx.coin(0.6)
    a = np.moveaxis(x.np(), 1, 0).reshape(c, -1)
    if training and (a.shape[1] < 2 or not np.all(a.var(axis=1) > 1e-2)):
        return None
    dt = x.dtype
    use_running = not training or ctx.coin(0.7)
    if use_running:
        rm = ctx.const(ctx.floats_lit(ctx.rng.uniform(-0.5, 0.5, c), dt), private=True)
        rv = ctx.const(ctx.floats_lit(ctx.rng.uniform(0.5, 2.0, c), dt), private=True)
        rs = f"{rm}, {rv}"
    else:
        rs = "None, None"
    w = ctx.leaf((c,), "positive", dtype=dt) if ctx.coin(0.5) else None
    b = ctx.leaf((c,), "unit", dtype=dt) if ctx.coin(0.5) else None
    args = f"{x}, {rs}"
    if w is not None:
        args += f", weight={w}"
    if b is not None:
        args += f", bias={b}"
    args += f", training={training}"
    if ctx.coin(0.3):
        args += f", momentum={ctx.pick([0.5, 0.0, 1.0])}"
    if ctx.coin(0.3):
        args += ", eps=1e-3"
    return ctx.emit(f"F.batch_norm({args})", *(v for v in (x, w, b) if v is not None))


@op("embedding", "nn", 0.6)
def _embedding(ctx: Ctx) -> Emit | None:
    v, d = ctx.randint(2, 5), ctx.randint(1, 3)
    w = ctx.fval(shape=(v, d), new_p=0.7)
    if w is None:
        return None
    idx = ctx.ints(ctx.rng.integers(0, v, ctx.shape(ctx.randint(0, 2), hi=3, zero_p=0.05)))
    pi = ctx.randint(-v, v - 1)
    return ctx.emit(
        ctx.pick(
            [
                f"F.embedding({idx}, {w})",
                f"F.embedding({idx}, {w}, padding_idx={pi})",
                f"F.embedding({idx}, {w}, {abs(pi) % v})",
            ]
        ),
        w,
    )


def _reduction(ctx: Ctx) -> str:
    return ctx.pick(["mean", "mean", "sum", "none"])


@op("regression_loss", "losses", 1.2, covers=("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"))
def _regression(ctx: Ctx) -> Emit | None:
    x = ctx.fval(lambda v: finite_small(v.np(), 30))
    if x is None:
        return None
    name = ctx.pick(["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
    r = _reduction(ctx)
    par = ctx.pick([1.0, 0.5, 2.0]) if name in ("huber_loss", "smooth_l1_loss") else None
    if name == "smooth_l1_loss" and ctx.coin(0.2):
        par = 0.0
    xa = x.np()

    def ok(v: Val) -> bool:
        d = np.abs(xa - v.np())
        if name == "l1_loss" or (name == "smooth_l1_loss" and par == 0.0):
            return far(d)
        if par is not None:
            return far(d, (par,), exact_ok=False)
        return True

    y = ctx.partner(x, ok, same_shape=ctx.coin(0.6))  # a target of another shape broadcasts, as PyTorch's
    if y is None:
        return None
    extra = {"huber_loss": f", delta={par}", "smooth_l1_loss": f", beta={par}"}.get(name, "")
    form = ctx.pick([f"F.{name}({x}, {y})", f"F.{name}({x}, {y}, reduction='{r}'{extra})"])
    return ctx.emit(form, x, y)


def _class_input(ctx: Ctx) -> Val | None:
    return ctx.fval(
        lambda v: (
            1 <= v.ndim <= 4
            and v.shape[min(1, v.ndim - 1)] >= 1
            and finite_small(v.np(), 30)
            and (v.ndim == 1 or v.shape[0] >= 1)
        ),
        ndim=range(1, 5),
    )


def _targets(ctx: Ctx, x: Val, ignore: int | None) -> str:
    cdim = 0 if x.ndim == 1 else 1
    c = x.shape[cdim]
    tshape = () if x.ndim == 1 else x.shape[:1] + x.shape[2:]
    t = ctx.rng.integers(0, c, tshape)
    if ignore is not None and t.size:
        t.reshape(-1)[ctx.rng.random(t.size) < 0.3] = ignore
        if ignore not in range(c) and np.all(t == ignore):
            t.reshape(-1)[0] = 0
    return ctx.ints(t)


@op("cross_entropy", "losses", 1.5, covers=("cross_entropy", "CrossEntropyLoss"))
def _cross_entropy(ctx: Ctx) -> Emit | None:
    x = _class_input(ctx)
    if x is None:
        return None
    cdim = 0 if x.ndim == 1 else 1
    c = x.shape[cdim]
    opts = []
    reads: list[Val] = [x]
    if ctx.coin(0.4):
        opts.append(f"weight={ctx.floats_lit(ctx.rng.uniform(0.2, 2.0, c), x.dtype)}")
    r = _reduction(ctx)
    if ctx.coin(0.6):
        opts.append(f"reduction='{r}'")
    if ctx.coin(0.4):
        opts.append(f"label_smoothing={ctx.pick([0.1, 0.25, 0.0])}")
    if ctx.coin(0.35):  # class probabilities
        if ctx.coin(0.4):
            p = ctx.leaf(x.shape, "prob", dtype=x.dtype)
            reads.append(p)
            tgt = p.name
        else:
            pr = ctx.rng.uniform(0.0, 1.0, x.shape)
            pr = pr / np.maximum(pr.sum(axis=cdim, keepdims=True), 1e-9)
            tgt = ctx.floats_lit(pr, x.dtype)
    else:
        ignore = ctx.pick([None, None, -100, 0, 1])
        if ignore is not None:
            opts.append(f"ignore_index={ignore}")
        tgt = _targets(ctx, x, ignore)
    return ctx.emit(f"F.cross_entropy({x}, {tgt}{''.join(', ' + o for o in opts)})", *reads)


@op("nll_loss", "losses", 1.0)
def _nll(ctx: Ctx) -> Emit | None:
    x = _class_input(ctx)
    if x is None:
        return None
    c = x.shape[0 if x.ndim == 1 else 1]
    opts = []
    if ctx.coin(0.4):
        opts.append(f"weight={ctx.floats_lit(ctx.rng.uniform(0.2, 2.0, c), x.dtype)}")
    if ctx.coin(0.6):
        opts.append(f"reduction='{_reduction(ctx)}'")
    ignore = ctx.pick([None, None, -100, 0, 1])
    if ignore is not None:
        opts.append(f"ignore_index={ignore}")
    tgt = _targets(ctx, x, ignore)
    o = "".join(", " + o for o in opts)
    return ctx.emit(
        ctx.pick([f"F.nll_loss({x}, {tgt}{o})", (f"M.nll_loss({x}, {tgt}{o})", f"F.nll_loss({x}, {tgt}{o})")]), x
    )


@op("binary_cross_entropy", "losses", 1.0, covers=("binary_cross_entropy", "binary_cross_entropy_with_logits"))
def _bce(ctx: Ctx) -> Emit | None:
    logits = ctx.coin(0.5)
    if logits:
        x = ctx.fval(lambda v: finite_small(v.np(), 30))
    else:
        x = ctx.fval(lambda v: bool(np.all((v.np() > 0.02) & (v.np() < 0.98))), domain="prob")
    if x is None:
        return None
    tgt = ctx.floats_lit(ctx.rng.uniform(0, 1, x.shape) * (ctx.rng.random(x.shape) < 0.8), x.dtype)
    opts = []
    if ctx.coin(0.3):
        opts.append(f"weight={ctx.floats_lit(ctx.rng.uniform(0.2, 2, ctx.bshape(x.shape, True)), x.dtype)}")
    if ctx.coin(0.6):
        opts.append(f"reduction='{_reduction(ctx)}'")
    if logits and x.ndim and ctx.coin(0.3):
        opts.append(f"pos_weight={ctx.floats_lit(ctx.rng.uniform(0.2, 3, x.shape[-1:]), x.dtype)}")
    o = "".join(", " + o for o in opts)
    if logits:
        return ctx.emit(f"F.binary_cross_entropy_with_logits({x}, {tgt}{o})", x)
    if ctx.coin(0.2):
        return ctx.emit(
            (f"M.binary_cross_entropy({x}, {tgt})", f"t_binary_cross_entropy({x}, {tgt})"),
            x,
            helpers=frozenset({"t_binary_cross_entropy"}),
        )
    return ctx.emit(f"F.binary_cross_entropy({x}, {tgt}{o})", x)


@op("multi_margin_loss", "losses", 0.7)
def _multi_margin(ctx: Ctx) -> Emit | None:
    x = ctx.fval(
        lambda v: (
            v.ndim in (1, 2) and v.shape[-1] >= 1 and (v.ndim == 1 or v.shape[0] >= 1) and finite_small(v.np(), 30)
        ),
        ndim=(1, 2),
    )
    if x is None:
        return None
    a = x.np() if x.ndim == 2 else x.np()[None]
    n, c = a.shape
    t = ctx.rng.integers(0, c, n)
    margin = ctx.pick([1.0, 0.5, 2.0])
    hinge = margin - a[np.arange(n), t][:, None] + a
    hinge[np.arange(n), t] = 1.0
    if not far(hinge):
        return None
    tgt = ctx.ints(t if x.ndim == 2 else t[0])
    opts = []
    if ctx.coin(0.4):
        opts.append(f"p={ctx.pick([1, 2])}")
    if margin != 1.0 or ctx.coin(0.3):
        opts.append(f"margin={margin}")
    if ctx.coin(0.3):
        opts.append(f"weight={ctx.floats_lit(ctx.rng.uniform(0.2, 2, c), x.dtype)}")
    if ctx.coin(0.5):
        opts.append(f"reduction='{_reduction(ctx)}'")
    return ctx.emit(f"F.multi_margin_loss({x}, {tgt}{''.join(', ' + o for o in opts)})", x)


# ================================================================ in place
def _inplace_target(ctx: Ctx) -> Val | None:
    """A non-leaf float value that is not a view and has no views: in-place is then well defined."""
    pool_ts = [v.t for v in ctx.b.pool if v.is_tensor]

    def ok(v: Val) -> bool:
        if v.leaf or v.t._base is not None or v.numel == 0:
            return False
        if v.t.is_leaf and v.t.requires_grad:      # made by an op such as rand(..., requires_grad=True)
            return False
        if sum(1 for w in ctx.b.pool if w.is_tensor and w.t is v.t) > 1:
            return False  # another name for the same tensor (x.contiguous() is x)
        return not any(t._base is v.t for t in pool_ts)

    cands = ctx.pool("float", ok)
    return ctx.choose(cands) if cands else None


@op("inplace_arith", "inplace", 0.8, covers=("add_", "sub_", "mul_", "div_", "+="))
def _inplace_arith(ctx: Ctx) -> Emit | None:
    x = _inplace_target(ctx)
    if x is None:
        return None
    name = ctx.pick(["add_", "sub_", "mul_", "div_"])
    ypred = (lambda v: bool(np.all(np.abs(v.np()) > 0.1))) if name == "div_" else None
    sym = {"add_": "+=", "sub_": "-=", "mul_": "*=", "div_": "/="}[name]
    if ctx.coin(0.3):
        s = ctx.scalar(ints=True)
        return ctx.emit(ctx.pick([f"{x}.{name}({s})", f"{x} {sym} {s}"]), x, mutates=x, statement=True)
    y = ctx.partner(x, ypred, result_shape=True)
    if y is None:
        return None
    alpha = ", alpha=2" if name in ("add_", "sub_") and ctx.coin(0.2) else ""
    if ctx.coin(0.5):
        return ctx.emit(f"{x} {sym} {y}", x, y, mutates=x, statement=True)
    return ctx.emit(f"{x}.{name}({y}{alpha})", x, y, mutates=x)


@op("inplace_misc", "inplace", 0.8, covers=("clamp_", "relu_", "fill_", "zero_", "copy_", "masked_fill_"))
def _inplace_misc(ctx: Ctx) -> Emit | None:
    x = _inplace_target(ctx)
    if x is None:
        return None
    a = x.np()
    k = ctx.pick(["clamp_", "relu_", "fill_", "zero_", "copy_", "masked_fill_"])
    if k == "clamp_":
        lo = round(float(np.median(a)) + 0.05, 2)
        if not far(a, (lo,), exact_ok=False):
            return None
        return ctx.emit(
            ctx.pick([f"{x}.clamp_(min={lo})", f"{x}.clamp_(max={lo})", f"{x}.clamp_({lo - 1}, {lo})"]), x, mutates=x
        )
    if k == "relu_":
        if not far(a):
            return None
        return ctx.emit(f"{x}.relu_()", x, mutates=x)
    if k == "fill_":
        if ctx.coin(0.3):
            v = ctx.fval(ndim=0, new_p=0.7)
            if v is None:
                return None
            return ctx.emit(f"{x}.fill_({v})", x, v, mutates=x)
        return ctx.emit(f"{x}.fill_({ctx.scalar()})", x, mutates=x)
    if k == "zero_":
        return ctx.emit(f"{x}.zero_()", x, mutates=x)
    if k == "copy_":
        y = ctx.partner(x, result_shape=True)
        if y is None:
            return None
        return ctx.emit(f"{x}.copy_({y})", x, y, mutates=x)
    m, mreads = _bool_value(ctx, x.shape)
    return ctx.emit(f"{x}.masked_fill_({m}, {ctx.scalar()})", x, *mreads, mutates=x)


@op("setitem", "inplace", 0.8, covers=("setitem",))
def _setitem(ctx: Ctx) -> Emit | None:
    x = _inplace_target(ctx)
    if x is None or x.ndim == 0:
        return None
    if ctx.coin(0.3):
        m = ctx.rng.random(x.shape[0]) < 0.5
        idx = ctx.bools(m)
    elif ctx.coin(0.3):
        idx = str([int(i) for i in ctx.rng.permutation(x.shape[0])[: ctx.randint(1, x.shape[0])]])
    else:
        idx = _index_expr(ctx, x.shape, basic_only=True)
    try:
        sub = tuple(eval(f"_x[{idx}]", {"_x": x.t, "M": __import__("torch")}).shape)  # noqa: S307
    except Exception:  # noqa: BLE001 - an index torch refuses: try another op
        return None
    if ctx.coin(0.35):
        return ctx.emit(f"{x}[{idx}] = {ctx.scalar()}", x, mutates=x, statement=True)
    y = ctx.fval(shape=ctx.bshape(sub, result_shape=True) if sub else (), new_p=0.6)
    if y is None or not _broadcasts_to(y.shape, sub):
        return None
    return ctx.emit(f"{x}[{idx}] = {y}", x, y, mutates=x, statement=True)


@op("scatter_", "inplace", 0.5, covers=("scatter_", "scatter_add_"))
def _scatter_(ctx: Ctx) -> Emit | None:
    x = _inplace_target(ctx)
    if x is None or x.ndim == 0:
        return None
    d = ctx.dim(x.ndim)
    if ctx.coin(0.5):
        ia = _unique_index(ctx, x.shape, d)
        if ctx.coin(0.4):
            return ctx.emit(f"{x}.scatter_({d}, {ctx.ints(ia)}, 2.0)", x, mutates=x)
        src = ctx.fval(shape=ia.shape, new_p=0.6, dtype=x.dtype)
        if src is None:
            return None
        return ctx.emit(f"{x}.scatter_({d}, {ctx.ints(ia)}, {src})", x, src, mutates=x)
    dd = d % x.ndim
    ishape = tuple(ctx.randint(1, 3) if k == dd else ctx.randint(1, n) for k, n in enumerate(x.shape))
    src = ctx.fval(shape=ishape, new_p=0.6, dtype=x.dtype)
    if src is None:
        return None
    return ctx.emit(
        f"{x}.scatter_add_({d}, {ctx.ints(ctx.rng.integers(0, x.shape[dd], ishape))}, {src})", x, src, mutates=x
    )


# ================================================================ tensor information
@op("grad_mode", "autograd", 0.5, covers=("no_grad", "enable_grad"))
def _grad_mode(ctx: Ctx) -> Emit | None:
    """A call made under no_grad or enable_grad (used as decorators, which both libraries allow)."""
    inner = BY_NAME[ctx.pick(["exp", "mul", "add", "tanh", "sum", "matmul", "getitem", "softmax"])]
    e = inner.gen(ctx)
    if e is None or e.statement or e.mutates is not None:
        return None
    wrap = ctx.pick(
        [
            "M.no_grad()(lambda: {})()",
            "M.enable_grad()(lambda: {})()",
            "M.no_grad()(lambda: M.enable_grad()(lambda: {})())()",
        ]
    )
    return Emit(wrap.format(e.al), e.reads, None if e.torch is None else wrap.format(e.torch), helpers=e.helpers)


@op("info", "info", 0.4, covers=("size", "shape", "dim", "numel", "item", "tolist", "dtype"))
def _info(ctx: Ctx) -> Emit | None:
    x = ctx.fval()
    if x is None:
        return None
    forms = [
        f"{x}.size()",
        f"{x}.shape",
        f"{x}.dim()",
        f"{x}.ndim",
        f"{x}.numel()",
        f"{x}.dtype",
        f"{x}.is_floating_point()",
        f"{x}.requires_grad",
        f"{x}.is_leaf",
        f"{x}.type()",
        f"{x}.detach().tolist()",
    ]
    if x.ndim:
        forms += [f"{x}.size({ctx.dim(x.ndim)})", f"{x}.shape[{ctx.dim(x.ndim)}]", f"len({x})"]
    if x.numel == 1:
        forms += [f"{x}.item()", f"float({x})"]
    return ctx.emit(ctx.pick(forms), x)


GROUPS = sorted({s.group for s in CATALOGUE})
BY_NAME.update({s.name: s for s in CATALOGUE})


def covered_names() -> set[str]:
    return {c for s in CATALOGUE for c in s.covers}
