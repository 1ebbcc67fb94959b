"""Running one piece of code text in both libraries and comparing what comes out.

Code is written once against four names that each library binds differently: `M` (the module:
`autograd_lite` or `torch`), `F` (`nn.functional` or `torch.nn.functional`), `GRAD` (`al.grad` or
`torch.autograd.grad`) and `W(v, k)` (a fixed, non-uniform weight tensor shaped like `v`, for scalar
losses). Where the two libraries spell a call differently, a line carries both spellings.
"""

from __future__ import annotations

import ast
import functools
import inspect
import math
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd_lite as al
import nn.functional as alF

# Tolerances: |al - torch| <= RTOL * |torch| + ATOL * (1 + max|torch|), elementwise, per tensor.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-9, 1e-11),
    "float32": (2e-4, 2e-5),
    "float16": (2e-2, 2e-3),
}


_TORCH: list[Any] = []


def torch_module() -> Any:
    """PyTorch, on one thread (its thread pool costs milliseconds per call on tensors this small)."""
    if not _TORCH:
        import torch

        torch.set_num_threads(1)
        _TORCH.append(torch)
    return _TORCH[0]


def _weights(mod: Any) -> Callable[[Any, int], Any]:
    def W(v: Any, k: int) -> Any:  # noqa: N802 - a constant in the programs' text
        n = int(np.prod(tuple(v.shape), dtype=np.int64))
        return mod.tensor(np.cos(np.arange(n) * 0.37 + k).reshape(tuple(v.shape)), dtype=v.dtype)

    return W


# ---------------------------------------------------------------- torch-side equivalents of al-only ops
def t_fused_lstm_cell(input_gates: Any, hidden_gates: Any, cx: Any) -> tuple[Any, Any]:
    """PyTorch's LSTM cell after its two products (gate order i, f, g, o), as al.fused_lstm_cell."""
    i, f, g, o = (input_gates + hidden_gates).chunk(4, 1)
    c = f.sigmoid() * cx + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def t_binary_cross_entropy(input: Any, target: Any) -> Any:
    """al.binary_cross_entropy(input, target): the elementwise (unreduced) BCE."""
    import torch

    return torch.nn.functional.binary_cross_entropy(input, target, reduction="none")


TORCH_HELPERS: dict[str, Callable[..., Any]] = {
    "t_fused_lstm_cell": t_fused_lstm_cell,
    "t_binary_cross_entropy": t_binary_cross_entropy,
}


def namespace(lib: str) -> dict[str, Any]:
    """The globals a line of code runs in, for lib "al" or "torch"."""
    if lib == "al":
        return {"M": al, "F": alF, "GRAD": al.grad, "np": np, "W": _weights(al), "math": math}
    torch = torch_module()
    ns = {
        "M": torch,
        "F": torch.nn.functional,
        "GRAD": torch.autograd.grad,
        "np": np,
        "W": _weights(torch),
        "math": math,
    }
    ns.update(TORCH_HELPERS)
    return ns


# ---------------------------------------------------------------- literals
def fnum(x: float) -> str:
    """A short literal for a float (6 significant digits; the exact value when it is short)."""
    if math.isnan(x):
        return "math.nan"
    if math.isinf(x):
        return "math.inf" if x > 0 else "-math.inf"
    r = repr(float(x))
    if len(r) <= 9:
        return r
    return repr(float(f"{x:.6g}"))


def _nested(a: np.ndarray, fmt: Callable[[Any], str]) -> str:
    if a.ndim == 0:
        return fmt(a.item())
    return "[" + ", ".join(_nested(s, fmt) for s in a) + "]"


def np_literal(a: np.ndarray, exact: bool = False) -> str:
    """`np.array(...)` text for an array (floats shortened unless exact)."""
    a = np.asarray(a)
    kind = a.dtype.kind
    if kind == "b":
        fmt: Callable[[Any], str] = lambda v: "True" if v else "False"
    elif kind in "iu":
        fmt = lambda v: str(int(v))
    else:
        fmt = (lambda v: repr(float(v))) if exact else (lambda v: fnum(float(v)))
    dt = f"np.{a.dtype.name}"
    if a.size == 0:
        return f"np.zeros({tuple(a.shape)}, dtype={dt})"
    return f"np.array({_nested(a, fmt)}, dtype={dt})"


def tensor_literal(a: np.ndarray, requires_grad: bool = False, exact: bool = False) -> str:
    """`M.tensor(...)` text: int64 and bool tensors as plain lists, others through NumPy."""
    a = np.asarray(a)
    rg = ", requires_grad=True" if requires_grad else ""
    if a.size and a.dtype in (np.int64, np.bool_):
        fmt: Callable[[Any], str] = (lambda v: "True" if v else "False") if a.dtype == np.bool_ else str
        return f"M.tensor({_nested(a, lambda v: fmt(v))}{rg})"
    return f"M.tensor({np_literal(a, exact)}{rg})"


# ---------------------------------------------------------------- reading values
def is_al(x: Any) -> bool:
    return isinstance(x, al.Tensor)


def is_torch(x: Any) -> bool:
    torch = torch_module()
    return isinstance(x, torch.Tensor)


def dtype_name(x: Any) -> str:
    if is_al(x):
        return np.dtype(x.dtype).name
    return str(x.dtype).removeprefix("torch.")


def to_numpy(x: Any) -> np.ndarray:
    """The values of an al or torch tensor as a NumPy array (never through `.array`)."""
    if is_al(x):
        return np.array(x.detach().numpy(), copy=True)
    if is_torch(x):
        y = x.detach()
        if y._is_zerotensor():  # PyTorch's "efficient zeros" (some double backwards) have no memory
            return np.zeros(tuple(y.shape), dtype=str(y.dtype).removeprefix("torch."))
        if str(y.dtype) == "torch.bfloat16":
            y = y.float()
        return y.numpy(force=True).copy()
    return np.asarray(x)


# ---------------------------------------------------------------- comparison
@dataclass
class Mismatch:
    """One difference between al's and torch's results."""

    kind: str  # value, dtype, shape, type, requires_grad, none, ...
    where: str  # which result (a variable, "grad[v0]", ...)
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} of {self.where}: {self.detail}"


def _short(a: np.ndarray) -> str:
    with np.printoptions(precision=6, threshold=12, edgeitems=3, linewidth=200):
        return np.array2string(a, separator=", ").replace("\n", "")


def compare_values(
    where: str, a: Any, t: Any, tol_dtype: str | None = None, check_rg: bool = True, none_as_zero: bool = False
) -> list[Mismatch]:
    """Compare an al result with torch's: type, shape, dtype, requires_grad and values."""
    torch = torch_module()
    if none_as_zero:
        if a is None and t is not None:
            a_vals = np.zeros(tuple(t.shape))
            return compare_arrays(where, a_vals, to_numpy(t), dtype_name(t), " (al gave None)")
        if t is None and a is not None:
            if not is_al(a):
                return [Mismatch("type", where, f"torch gave None (zero), al gave {type(a).__name__}")]
            return compare_arrays(where, to_numpy(a), np.zeros(tuple(a.shape)), dtype_name(a), " (torch gave None)")
    if t is None or a is None:
        if (t is None) != (a is None):
            return [Mismatch("none", where, f"torch gave {_describe(t)}, al gave {_describe(a)}")]
        return []
    if isinstance(t, torch.Tensor):
        if not is_al(a):
            return [Mismatch("type", where, f"torch gave a Tensor, al gave {type(a).__name__}: {a!r:.80}")]
        out = []
        if tuple(a.shape) != tuple(t.shape):
            return [Mismatch("shape", where, f"torch {tuple(t.shape)}, al {tuple(a.shape)}")]
        if dtype_name(a) != dtype_name(t):
            out.append(Mismatch("dtype", where, f"torch {dtype_name(t)}, al {dtype_name(a)}"))
        if check_rg and bool(a.requires_grad) != bool(t.requires_grad):
            out.append(Mismatch("requires_grad", where, f"torch {t.requires_grad}, al {a.requires_grad}"))
        out += compare_arrays(where, to_numpy(a), to_numpy(t), tol_dtype or dtype_name(t))
        return out
    if isinstance(t, (tuple, list)):
        if not isinstance(a, (tuple, list)) or len(a) != len(t):
            return [Mismatch("type", where, f"torch gave {_describe(t)}, al gave {_describe(a)}")]
        out = []
        for i, (ai, ti) in enumerate(zip(a, t)):
            out += compare_values(f"{where}[{i}]", ai, ti, tol_dtype, check_rg, none_as_zero)
        return out
    if isinstance(t, np.ndarray):
        if not isinstance(a, np.ndarray):
            return [Mismatch("type", where, f"torch gave an ndarray, al gave {type(a).__name__}")]
        if a.dtype != t.dtype:
            return [Mismatch("dtype", where, f"torch {t.dtype}, al {a.dtype}")]
        return compare_arrays(where, a, t, tol_dtype or t.dtype.name)
    if isinstance(t, torch.Size):
        if tuple(a) != tuple(t):
            return [Mismatch("value", where, f"torch {tuple(t)}, al {a!r}")]
        return []
    if isinstance(t, torch.dtype):
        if np.dtype(a).name != str(t).removeprefix("torch."):
            return [Mismatch("value", where, f"torch {t}, al {a!r}")]
        return []
    if isinstance(t, (bool, int, float, complex, str)) or t is None:
        if type(a) is not type(t) and not (isinstance(t, float) and isinstance(a, float)):
            if isinstance(t, (int, float)) and isinstance(a, (int, float, np.generic)) and not isinstance(a, bool):
                pass
            else:
                return [Mismatch("type", where, f"torch gave {_describe(t)}, al gave {_describe(a)}")]
        if isinstance(t, float) and isinstance(a, (int, float, np.generic)):
            return compare_arrays(where, np.asarray(float(a)), np.asarray(t), "float64")
        if a != t:
            return [Mismatch("value", where, f"torch {t!r}, al {a!r}")]
        return []
    return [Mismatch("type", where, f"cannot compare torch's {type(t).__name__}")]


def _describe(x: Any) -> str:
    if x is None:
        return "None"
    if is_al(x) or is_torch(x):
        return f"a {dtype_name(x)} tensor of shape {tuple(x.shape)}"
    return f"{type(x).__name__} {x!r:.60}"


def compare_arrays(where: str, a: np.ndarray, t: np.ndarray, dtype: str, note: str = "") -> list[Mismatch]:
    if a.shape != t.shape:
        return [Mismatch("shape", where, f"torch {t.shape}, al {a.shape}{note}")]
    if t.dtype.kind in "biu" and a.dtype.kind in "biu":
        if not np.array_equal(a, t):
            bad = np.argwhere(a != t)
            return [Mismatch("value", where, f"{len(bad)} of {a.size} differ; torch {_short(t)}, al {_short(a)}{note}")]
        return []
    if a.dtype.kind == "c" or t.dtype.kind == "c":
        re_ = compare_arrays(where + ".real", np.real(a), np.real(t), dtype.replace("complex", "float"), note)
        return re_ or compare_arrays(where + ".imag", np.imag(a), np.imag(t), dtype.replace("complex", "float"), note)
    rtol, atol = TOLERANCES.get(dtype, TOLERANCES["float32"])
    a64 = a.astype(np.float64)
    t64 = t.astype(np.float64)
    nan_a, nan_t = np.isnan(a64), np.isnan(t64)
    if not np.array_equal(nan_a, nan_t):
        return [Mismatch("value", where, f"NaNs differ: torch {_short(t)}, al {_short(a)}{note}")]
    fin = ~nan_t
    inf_t = np.isinf(t64) & fin
    if not np.array_equal(a64[inf_t], t64[inf_t]) or np.isinf(a64[fin & ~inf_t]).any():
        return [Mismatch("value", where, f"infinities differ: torch {_short(t)}, al {_short(a)}{note}")]
    ok = fin & ~inf_t
    if not ok.any():
        return []
    scale = float(np.max(np.abs(t64[ok])))
    err = np.abs(a64[ok] - t64[ok])
    allowed = rtol * np.abs(t64[ok]) + atol * (1 + scale)
    if np.all(err <= allowed):
        return []
    worst = int(np.argmax(err - allowed))
    rel = float(err[worst] / max(abs(t64[ok][worst]), 1e-300))
    return [
        Mismatch(
            "value",
            where,
            f"max abs err {float(err.max()):.3g} (rel {rel:.3g}) over {int((err > allowed).sum())} "
            f"of {a.size}; torch {_short(t)}, al {_short(a)}{note}",
        )
    ]


# ---------------------------------------------------------------- running code text
@dataclass
class Outcome:
    """What running some code gave: its value, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None

    @property
    def raised(self) -> bool:
        return self.error is not None

    def describe_error(self) -> str:
        e = self.error
        return "" if e is None else f"{type(e).__name__}: {first_line(str(e))}"


def first_line(msg: str, limit: int = 240) -> str:
    msg = msg.strip().splitlines()[0] if msg.strip() else ""
    return msg if len(msg) <= limit else msg[:limit] + "..."


@functools.lru_cache(maxsize=4096)
def _compiled(code: str, mode: str) -> Any:
    return compile(code, "<parity>", mode)


def run_code(code: str, ns: dict[str, Any], expression: bool = False) -> Outcome:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if expression:
                return Outcome(value=eval(_compiled(code, "eval"), ns))  # noqa: S307 - the suite's own code text
            exec(_compiled(code, "exec"), ns)  # noqa: S102
            return Outcome()
        except Exception as exc:  # noqa: BLE001 - every exception is a result here
            return Outcome(error=exc)


def is_expression(code: str) -> bool:
    try:
        compile(code, "<parity>", "eval")
        return True
    except SyntaxError:
        return False


# ---------------------------------------------------------------- in-place ops and their functional equivalent
# PyTorch refuses backward through a value that an op saved and a later in-place op changed, even where
# the gradient is still computable; autograd_lite keeps the old value (or never reads it) and returns a
# gradient. That gradient is checked against PyTorch's gradient of the functional equivalent: each
# in-place op applied to a `.clone()` of the tensor it changes, the name then bound to that clone, so
# earlier uses keep the old value and later uses see the new one (what an in-place op means in a graph).

_NOT_INPLACE = {"requires_grad_", "retain_grad", "share_memory_"}
_FREE_NAMES = {"M", "F", "np", "math", "GRAD", "W"}
_VIEW_ATTRS = {"T", "mT", "H", "mH", "real"}  # attributes that are views of the tensor they are read from


def _receiver_root(node: ast.AST) -> ast.Name | None:
    """The name a changed tensor is reached from: `y` in `y`, `y[:2]`, `y.detach()`, `y.T[0]`."""
    while True:
        if isinstance(node, ast.Name):
            return None if node.id in _FREE_NAMES else node
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value  # a method's result (a view or an alias): y.detach(), y.view(-1)
        elif isinstance(node, ast.Attribute) and node.attr in _VIEW_ATTRS:
            node = node.value
        else:
            return None  # x.grad.zero_(), (x * 2).add_(1): no named tensor of the graph changes


def _inplace_roots(stmt: ast.stmt) -> list[ast.Name]:
    """The name nodes (as written) of the tensors a simple statement changes in place."""
    receivers: list[ast.AST] = []
    if isinstance(stmt, ast.AugAssign):
        receivers.append(stmt.target)
    elif isinstance(stmt, ast.Assign):
        receivers += [t for t in stmt.targets if isinstance(t, ast.Subscript)]
    for node in ast.walk(stmt):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr.endswith("_")
            and not node.func.attr.startswith("_")
            and node.func.attr not in _NOT_INPLACE
        ):
            receivers.append(node.func.value)
    roots = [_receiver_root(r) for r in receivers]
    return [r for r in roots if r is not None]


def _functional_body(body: list[ast.stmt]) -> tuple[list[ast.stmt], bool]:
    out: list[ast.stmt] = []
    changed = False
    for stmt in body:
        if isinstance(stmt, (ast.With, ast.For, ast.While, ast.If, ast.Try)):
            for attr in ("body", "orelse", "finalbody"):
                if getattr(stmt, attr, None):
                    new, ch = _functional_body(getattr(stmt, attr))
                    setattr(stmt, attr, new)
                    changed |= ch
            out.append(stmt)
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(stmt)
            continue
        roots = _inplace_roots(stmt)
        names = list(dict.fromkeys(r.id for r in roots))
        if not names:
            out.append(stmt)
            continue
        changed = True
        for r in roots:
            r.id = r.id + "_c"  # the receiver only: the op's other arguments still read the old value
        out += [ast.parse(f"{n}_c = {n}.clone()").body[0] for n in names]
        out.append(stmt)
        out += [ast.parse(f"{n} = {n}_c").body[0] for n in names]
    return out, changed


def functional_equivalent(code: str) -> str | None:
    """`code` with every in-place op applied to a clone of the tensor it changes, the name rebound to
    that clone afterwards (`y.mul_(y)` -> `y_c = y.clone(); y_c.mul_(y); y = y_c`); None when the code
    changes no named tensor in place. Simple statements stay on one line."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    body, changed = _functional_body(tree.body)
    if not changed:
        return None
    simple = all(not isinstance(s, (ast.With, ast.For, ast.While, ast.If, ast.Try)) for s in body)
    return ("; " if simple and "\n" not in code else "\n").join(ast.unparse(s) for s in body)


def inplace_names(code: str) -> list[str]:
    """The names of the tensors that code changes in place."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.With, ast.For, ast.While, ast.If, ast.Try)):
            names += [r.id for r in _inplace_roots(node)]
    return list(dict.fromkeys(names))


def inplace_refusal(err: BaseException | None) -> bool:
    """PyTorch's (or al's) refusal of backward through a value changed in place after an op saved it."""
    if err is None:
        return False
    m = str(err).lower()
    return "modified by an inplace operation" in m or "modified by an in-place operation" in m


def shares_memory(a: Any, b: Any) -> bool:
    """Two torch tensors whose storages are the same (views or aliases of one another)."""
    if a is b or a.numel() == 0 or b.numel() == 0 or a._is_zerotensor() or b._is_zerotensor():
        return False
    return bool(a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr())


# ---------------------------------------------------------------- repro scripts
@dataclass
class ReproLine:
    """One line of a repro: the same text for both libraries, or one per library."""

    al: str
    torch: str | None = None

    def render(self) -> str:
        if self.torch is None or self.torch == self.al:
            return self.al
        target, _, al_rhs = self.al.partition(" = ")
        t_target, _, t_rhs = self.torch.partition(" = ")
        if al_rhs and t_rhs and "=" not in target and t_target == target and ";" not in self.torch + self.al:
            return f"{target} = {al_rhs} if AL else {t_rhs}"
        al_code = self.al.replace("\n", "\n        ")
        t_code = self.torch.replace("\n", "\n        ")
        return f"if AL:\n        {al_code}\n    else:\n        {t_code}"


@dataclass
class Repro:
    """A standalone script that runs the same lines with both libraries and prints what differs."""

    title: str
    lines: list[ReproLine]
    show: list[str]  # expressions to print from both runs
    helpers: set[str] = field(default_factory=set)

    def script(self) -> str:
        body = "\n".join("    " + ln.render() for ln in self.lines)
        needs_al_flag = any(ln.torch is not None and ln.torch != ln.al for ln in self.lines)
        helpers = "".join(inspect.getsource(TORCH_HELPERS[h]) + "\n\n" for h in sorted(self.helpers))
        uses_w = "W(" in body
        w_def = (
            (
                "    W = lambda v, k: M.tensor(np.cos(np.arange(v.numel()) * 0.37 + k).reshape(tuple(v.shape)), "
                "dtype=v.dtype)\n"
            )
            if uses_w
            else ""
        )
        shown = ", ".join(f"{s!r}: {s}" for s in self.show)
        flag = ", AL" if needs_al_flag else ""
        flag_arg_t = ", False" if needs_al_flag else ""
        flag_arg_a = ", True" if needs_al_flag else ""
        return (
            f"# {self.title}\n"
            "import math\n\n"
            "import numpy as np\n"
            "import torch\n\n"
            "import autograd_lite as al\n"
            "import nn.functional\n\n"
            f"{helpers}"
            f"def run(M, F, GRAD{flag}):\n"
            f"{w_def}{body}\n"
            f"    return {{{shown}}}\n\n\n"
            f"T = run(torch, torch.nn.functional, torch.autograd.grad{flag_arg_t})\n"
            "print('torch:', T)\n"
            f"A = run(al, nn.functional, al.grad{flag_arg_a})\n"
            "print('al:   ', A)\n"
        )


def iter_tensors(x: Any) -> Iterable[Any]:
    if isinstance(x, (tuple, list)):
        for y in x:
            yield from iter_tensors(y)
    elif x is not None:
        yield x


def names_in(code: str) -> set[str]:
    return set(re.findall(r"\b[vl]\d+\b", code))
