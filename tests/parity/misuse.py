"""Misuse cases: invalid (and borderline valid) calls, generated systematically, run in both libraries.

A case is setup code and one call. If PyTorch rejects the call, autograd_lite must raise too (any
Exception subclass; its type and message are recorded, and the message should name the operation);
if PyTorch accepts it, autograd_lite must accept it and give the same result (type, shape, dtype,
values). Families are generated as products where that is systematic (every op with a dim argument
times out-of-range dims on 0-d, 1-d, 3-d and empty tensors; every binary op times every pair of
dtypes; every unary op times every dtype; losses times bad targets...), and by hand elsewhere
(non-numeric data, impossible views, bad .grad assignments, autograd misuse). Seeded random cases
(shapes that may not broadcast, indices that may be out of range) come on top, scaled by
PARITY_SCALE.

Deliberate differences the README documents ("Where it differs from PyTorch") are not tested:
`Tensor.array` being an array, devices other than the CPU and the ops not there yet are left out of
the cases; the others are recognised when they occur and reported as skipped (`_documented`).
Where PyTorch refuses a backward because a value it saved was changed in place and autograd_lite
returns, autograd_lite's values and gradients must be PyTorch's for the functional equivalent (each
in-place op applied to a clone, `core.functional_equivalent`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import core

DTYPES = ("float16", "float32", "float64", "int32", "int64", "bool", "uint8")


@dataclass
class Case:
    id: str
    setup: str  # statements run first (must work in both)
    call: str  # the expression or statement under test
    op: str = ""  # what al's message should name ("a|b": either); "" = not checked
    family: str = ""
    after: str | None = None  # for a statement: what to compare once it ran
    torch_call: str | None = None  # when PyTorch spells the call differently
    meta_only: bool = False  # random values: compare type, shape and dtype only


@dataclass
class Result:
    kind: str  # ok, documented (a README difference: skipped), accepts, rejects, differs, message, setup
    detail: str
    al: core.Outcome | None = None
    torch: core.Outcome | None = None


def _run(case: Case, lib: str, ns: dict[str, Any] | None = None) -> tuple[core.Outcome, core.Outcome | None]:
    """(setup outcome, call outcome or None when the setup failed)."""
    ns = core.namespace(lib) if ns is None else ns
    setup = core.run_code(case.setup, ns) if case.setup else core.Outcome()
    if setup.raised:
        return setup, None
    call = case.torch_call if lib == "torch" and case.torch_call else case.call
    if core.is_expression(call):
        out = core.run_code(call, ns, expression=True)
    else:
        out = core.run_code(call, ns)
        if not out.raised and case.after:
            out = core.run_code(case.after, ns, expression=True)
    return setup, out


def run_case(case: Case) -> Result:
    tns = core.namespace("torch")
    ts, to = _run(case, "torch", tns)
    if to is None:
        return Result("oracle", f"the case's setup fails in PyTorch: {ts.describe_error()}")
    ans = core.namespace("al")
    as_, ao = _run(case, "al", ans)
    if ao is None:
        return Result("setup", f"al raised in the setup: {as_.describe_error()}", as_, to)
    if to.raised and not ao.raised and core.inplace_refusal(to.error):
        return _check_functional(case, ao, ans, to)
    why = _documented(case, ao, to)
    if why:
        return Result("documented", why, ao, to)
    if to.raised and ao.raised:
        if case.op and not _names(case.op, str(ao.error)):
            return Result(
                "message",
                f"both raise, but al's message does not name {case.op.replace('|', ' or ')!r}: "
                f"al {ao.describe_error()} | torch {to.describe_error()}",
                ao,
                to,
            )
        return Result("ok", f"both raise: al {ao.describe_error()} | torch {to.describe_error()}", ao, to)
    if to.raised:
        return Result(
            "accepts", f"torch raises {to.describe_error()}; al accepts and returns {_show(ao.value)}", ao, to
        )
    if ao.raised:
        return Result("rejects", f"torch accepts (returns {_show(to.value)}); al raises {ao.describe_error()}", ao, to)
    if case.meta_only:
        ms = _meta(ao.value, to.value)
    else:
        ms = core.compare_values("result", ao.value, to.value, _tol([to.value] + list(tns.values())))
    if ms:
        return Result("differs", "; ".join(str(m) for m in ms[:4]), ao, to)
    return Result("ok", "same result", ao, to)


# ---------------------------------------------------------------- in-place changes torch refuses to differentiate
def _check_functional(case: Case, ao: core.Outcome, ans: dict[str, Any], to: core.Outcome) -> Result:
    """PyTorch refused a backward through a value changed in place; al returned. README, "Where it differs
    from PyTorch": al differentiates such programs. Its result, the values of the case's tensors and
    their gradients must then be PyTorch's for the functional equivalent (in-place ops on clones)."""
    setup = core.functional_equivalent(case.setup) or case.setup if case.setup else ""
    call = case.torch_call or case.call
    expr = core.is_expression(call)
    stmt = f"_result = {call}" if expr else call
    fcall = core.functional_equivalent(stmt) or stmt
    if setup == case.setup and fcall == stmt:
        return Result("oracle", f"torch refuses an in-place change, but no in-place op found: {to.describe_error()}")
    fns = core.namespace("torch")
    base = set(fns)
    out = core.run_code(setup, fns) if setup else core.Outcome()
    if not out.raised:
        out = core.run_code(fcall, fns)
    if out.raised:
        return Result(
            "accepts",
            f"torch raises {to.describe_error()}; its functional equivalent raises {out.describe_error()}; "
            f"al accepts and returns {_show(ao.value)}",
            ao,
            to,
        )
    if expr:
        value = fns["_result"]
    elif case.after:
        aft = core.run_code(case.after, fns, expression=True)
        if aft.raised:
            return Result("oracle", f"the functional equivalent's `{case.after}` raises {aft.describe_error()}")
        value = aft.value
    else:
        value = None
    tol = _tol([value] + list(fns.values()))
    ms = core.compare_values("result", ao.value, value, tol)
    for name, tv in fns.items():
        if name in base or name == "_result" or name.endswith("_c") or not core.is_torch(tv):
            continue
        av = ans.get(name)
        ms += core.compare_values(name, av, tv, tol)
        if tv.is_leaf and tv.requires_grad and core.is_al(av):
            ms += core.compare_values(f"{name}.grad", av.grad, tv.grad, tol)
    if ms:
        return Result(
            "differs",
            "(torch refuses the backward of this in-place change; compared with its functional equivalent) "
            + "; ".join(str(m) for m in ms[:4]),
            ao,
            to,
        )
    return Result("ok", "al's values and gradients are those of torch's functional equivalent", ao, to)


# ---------------------------------------------------------------- documented differences
README_DIFFERS = 'README, "Where it differs from PyTorch"'
_EMPTY_CHECK_OPS = {"roll", "repeat", "expand", "matmul", "mm", "bmm"}  # and indexing, and `@`
# index/mask/condition arguments the engine takes as NumPy arrays: op -> (position as a method, as
# M.op(x, ...), keyword); where's condition is the first argument either way
_SECONDARY = {
    "gather": (1, 2, "index"),
    "index_select": (1, 2, "index"),
    "scatter": (1, 2, "index"),
    "scatter_": (1, 2, "index"),
    "scatter_add": (1, 2, "index"),
    "scatter_add_": (1, 2, "index"),
    "masked_fill": (0, 1, "mask"),
    "masked_fill_": (0, 1, "mask"),
    "where": (0, 0, "condition"),
    "backward": (0, 0, "gradient"),
}


def _documented(case: Case, ao: core.Outcome, to: core.Outcome) -> str:
    """The README's reason when this difference is one it documents, else ""."""
    call = case.call
    try:
        tree = ast.parse(call)
    except SyntaxError:
        return ""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    fnames = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "") for n in calls}
    if ao.raised and not to.raised:
        # PyTorch skips some argument checks when a tensor is empty (roll's dim, indices, repeat's
        # counts, expand's sizes, matmul's dtypes): the same call on non-empty tensors must be one
        # PyTorch refuses, with an error of the kind al raised
        if _refused_when_not_empty(case, tree, fnames, ao.error):
            return f"{README_DIFFERS}: PyTorch skips this argument check for an empty tensor"
        # convolution and pooling of integer tensors
        if any(("conv" in f or "pool" in f) for f in fnames) and _has_integer_operand(case, calls):
            return f"{README_DIFFERS}: convolution and pooling of integer tensors are refused"
        # float indices in a list
        for n in ast.walk(tree):
            if isinstance(n, ast.Subscript) and any(_float_list(c) for c in ast.walk(n.slice)):
                return f"{README_DIFFERS}: float indices in a list are refused"
    if to.raised and not ao.raised:
        # an ndarray on the left of an operator: NumPy hands it to the Tensor's reflected operator
        for n in ast.walk(tree):
            if isinstance(n, ast.BinOp) and _is_ndarray_expr(n.left):
                return f"{README_DIFFERS}: operators take NumPy arrays on either side"
        # the engine's functions and methods take NumPy arrays for index, mask and condition arguments
        for n in calls:
            if not isinstance(n.func, ast.Attribute) or n.func.attr not in _SECONDARY:
                continue
            if isinstance(n.func.value, ast.Name) and n.func.value.id == "F":
                continue  # nn.functional takes Tensors only, as PyTorch's
            as_method, as_function, kw = _SECONDARY[n.func.attr]
            module = isinstance(n.func.value, ast.Name) and n.func.value.id == "M"
            pos = as_function if module else as_method
            args = ([n.args[pos]] if len(n.args) > pos else []) + [k.value for k in n.keywords if k.arg == kw]
            if any(_is_ndarray_expr(a) for a in args):
                return f"{README_DIFFERS}: index, mask and condition arguments may be NumPy arrays"
    return ""


def _float_list(node: ast.AST) -> bool:
    return isinstance(node, ast.List) and any(
        isinstance(k, ast.Constant) and isinstance(k.value, float) for k in node.elts
    )


def _is_ndarray_expr(node: ast.AST) -> bool:
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id == "np"


def _has_integer_operand(case: Case, calls: list[ast.Call]) -> bool:
    ns = core.namespace("torch")
    if case.setup and core.run_code(case.setup, ns).raised:
        return False
    for n in calls:
        for a in n.args:
            v = core.run_code(ast.unparse(a), ns, expression=True)
            if not v.raised and core.is_torch(v.value) and not v.value.is_floating_point():
                if str(v.value.dtype) != "torch.bool":
                    return True
    return False


class _NonEmpty(ast.NodeTransformer):
    """`x.expand((0, -1))` -> `x.expand((1, -1))`: a size 0 asked of expand becomes 1."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "expand":
            for c in ast.walk(node):
                if isinstance(c, ast.Constant) and type(c.value) is int and c.value == 0:
                    c.value = 1
        return node


def _builtin_class(err: BaseException) -> type:
    return next(c for c in type(err).__mro__ if c.__module__ == "builtins")


def _refused_when_not_empty(case: Case, tree: ast.Module, fnames: set[str], al_error: BaseException | None) -> bool:
    """Whether the case is one of the argument checks PyTorch skips for empty tensors: it calls roll,
    repeat, expand, a matrix product or indexes an empty tensor, and PyTorch refuses it (with an
    error of al's kind) once the empty tensors become non-empty (each size 0 made 1, values 1;
    expand's sizes 0 made 1)."""
    torch = core.torch_module()
    ns = core.namespace("torch")
    if al_error is None or (case.setup and core.run_code(case.setup, ns).raised):
        return False
    empty = {k for k, v in ns.items() if core.is_torch(v) and v.numel() == 0}
    indexes_empty = any(
        isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in empty for n in ast.walk(tree)
    )
    matmul = any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) for n in ast.walk(tree))
    if not (fnames & _EMPTY_CHECK_OPS or indexes_empty or matmul):
        return False
    for k in empty:
        v = ns[k]
        ns[k] = torch.ones(tuple(max(1, d) for d in v.shape), dtype=v.dtype)
    call = case.torch_call or case.call
    new_call = ast.unparse(_NonEmpty().visit(ast.parse(call)))
    if not empty and new_call == ast.unparse(ast.parse(call)):
        return False
    out = core.run_code(new_call, ns, expression=core.is_expression(new_call))
    return out.error is not None and isinstance(al_error, _builtin_class(out.error))


def _names(op: str, msg: str) -> bool:
    m = msg.lower()
    return any(alt.lower() in m for alt in op.split("|"))


def _tol(values: list[Any]) -> str | None:
    """The tolerance of the least precise float tensor involved (float32 inputs of a float64 result too)."""
    names = [core.dtype_name(t) for t in core.iter_tensors(values) if core.is_torch(t)]
    for low in ("float16", "float32"):
        if low in names:
            return low
    return None


def _meta(a: Any, t: Any) -> list[core.Mismatch]:
    if core.is_torch(t):
        if not core.is_al(a):
            return [core.Mismatch("type", "result", f"torch gave a Tensor, al {type(a).__name__}")]
        if tuple(a.shape) != tuple(t.shape) or core.dtype_name(a) != core.dtype_name(t):
            return [
                core.Mismatch(
                    "shape/dtype",
                    "result",
                    f"torch {tuple(t.shape)} {core.dtype_name(t)}, al {tuple(a.shape)} {core.dtype_name(a)}",
                )
            ]
        return []
    return core.compare_values("result", a, t)


def _show(v: Any) -> str:
    if core.is_al(v) or core.is_torch(v):
        return f"a {core.dtype_name(v)} tensor of shape {tuple(v.shape)}"
    return f"{type(v).__name__} {v!r:.60}"


def repro(case: Case) -> str:
    call = case.call
    lines = [ln for ln in case.setup.splitlines() if ln.strip()]
    if core.is_expression(call):
        body = lines + [f"return {call}"]
    else:
        body = lines + call.splitlines() + [f"return {case.after}" if case.after else "return None"]
    if case.torch_call:
        body[-1 if core.is_expression(call) else len(lines)] = (
            f"return ({call}) if AL else ({case.torch_call})"
            if core.is_expression(call)
            else f"if AL:\n        {call}\n    else:\n        {case.torch_call}"
        )
    text = "\n".join("    " + ln for ln in "\n".join(body).splitlines())
    return (
        f"# parity misuse repro: {case.id}\n"
        "import math\n\nimport numpy as np\nimport torch\n\nimport autograd_lite as al\nimport nn.functional\n\n\n"
        f"def run(M, F, GRAD, AL):\n{text}\n\n\n"
        'for name, M, F, GRAD in (("torch", torch, torch.nn.functional, torch.autograd.grad),\n'
        '                         ("al", al, nn.functional, al.grad)):\n'
        "    try:\n"
        "        print(name, 'returns', repr(run(M, F, GRAD, name == 'al')))\n"
        "    except Exception as e:\n"
        "        print(name, 'raises', type(e).__name__, e)\n"
    )


def functional_repro(case: Case) -> str:
    """A script running the case in al and its functional equivalent in torch (the in-place ops applied
    to clones), printing the result and every tensor's value and gradient."""

    def body(setup: str, call: str) -> str:
        expr = core.is_expression(call)
        code = "\n".join(x for x in (setup, f"_result = {call}" if expr else call) if x)
        if not expr:
            code += f"\n_result = {case.after}" if case.after else "\n_result = None"
        return "\n".join("        " + ln for ln in code.splitlines())

    t_call = case.torch_call or case.call
    t_stmt = f"_result = {t_call}" if core.is_expression(t_call) else t_call
    t_setup = core.functional_equivalent(case.setup) or case.setup if case.setup else ""
    t_code = "\n".join(x for x in (t_setup, core.functional_equivalent(t_stmt) or t_stmt) if x)
    if not core.is_expression(t_call):
        t_code += f"\n_result = {case.after}" if case.after else "\n_result = None"
    t_text = "\n".join("        " + ln for ln in t_code.splitlines())
    return (
        f"# parity misuse repro: {case.id}: PyTorch refuses this backward (a saved value was changed in place);\n"
        "# its side runs the functional equivalent (each in-place op applied to a clone), whose values and\n"
        "# gradients al must give.\n"
        "import math\n\nimport numpy as np\nimport torch\n\nimport autograd_lite as al\nimport nn.functional\n\n\n"
        "def run(M, F, GRAD, AL):\n"
        f"    if AL:\n{body(case.setup, case.call)}\n"
        f"    else:\n{t_text}\n"
        "    state = dict(locals())\n"
        "    out = {'result': _result}\n"
        "    for k, v in state.items():\n"
        "        if isinstance(v, M.Tensor) and not k.endswith('_c'):\n"
        "            out[k] = v\n"
        "            if v.is_leaf and v.requires_grad:\n"
        "                out[k + '.grad'] = v.grad\n"
        "    return out\n\n\n"
        'for name, M, F, GRAD in (("torch", torch, torch.nn.functional, torch.autograd.grad),\n'
        '                         ("al", al, nn.functional, al.grad)):\n'
        "    print(name, run(M, F, GRAD, name == 'al'))\n"
    )


def message(case: Case, res: Result) -> str:
    script = functional_repro(case) if res.detail.startswith("(torch refuses the backward") else repro(case)
    return f"misuse case {case.id} [{res.kind}]: {case.call}\n  {res.detail}\n\n--- repro ---\n{script}"


# ================================================================ families
TENSORS = {  # name: (setup, ndim)
    "0d": ("x = M.tensor(1.5)", 0),
    "1d": ("x = M.arange(3.0) - 1.25", 1),
    "3d": ("x = M.arange(24.0).reshape(2, 3, 4) / 7 - 1.5", 3),
    "empty": ("x = M.zeros(0, 3)", 2),
}

DIM_OPS: dict[str, tuple[str, str]] = {  # name: (call with {d}, op name to find in al's message)
    "sum": ("x.sum({d})", "sum"),
    "sum_tuple": ("x.sum(({d}, {d}))", "sum"),
    "mean": ("x.mean({d})", "mean"),
    "amax": ("x.amax({d})", "amax"),
    "amin": ("M.amin(x, {d})", "amin"),
    "max": ("x.max({d})", "max"),
    "min": ("M.min(x, {d})", "min"),
    "argmax": ("x.argmax({d})", "argmax"),
    "argmin": ("M.argmin(x, {d})", "argmin"),
    "var": ("x.var({d})", "var"),
    "std": ("M.std(x, {d})", "std"),
    "logsumexp": ("x.logsumexp({d})", "logsumexp"),
    "softmax": ("x.softmax({d})", "softmax"),
    "log_softmax": ("M.log_softmax(x, {d})", "log_softmax"),
    "F.softmax": ("F.softmax(x, dim={d})", "softmax"),
    "F.log_softmax": ("F.log_softmax(x, {d})", "log_softmax"),
    "cumsum": ("x.cumsum({d})", "cumsum"),
    "norm": ("x.norm(dim={d})", "norm"),
    "norm1": ("M.norm(x, 1, {d})", "norm"),
    "sort": ("x.sort({d})", "sort"),
    "argsort": ("M.argsort(x, {d})", "argsort|sort"),
    "topk": ("x.topk(1, {d})", "topk"),
    "any": ("x.any({d})", "any"),
    "all": ("M.all(x, {d})", "all"),
    "unbind": ("x.unbind({d})", "unbind"),
    "narrow": ("x.narrow({d}, 0, 1)", "narrow"),
    "flatten": ("x.flatten({d})", "flatten"),
    "flatten_end": ("M.flatten(x, 0, {d})", "flatten"),
    "unflatten": ("x.unflatten({d}, (1, -1))", "unflatten"),
    "transpose": ("x.transpose({d}, 0)", "transpose"),
    "transpose2": ("M.transpose(x, -1, {d})", "transpose"),
    "movedim": ("x.movedim({d}, 0)", "movedim"),
    "squeeze": ("x.squeeze({d})", "squeeze"),
    "unsqueeze": ("x.unsqueeze({d})", "unsqueeze"),
    "flip": ("x.flip({d})", "flip"),
    "roll": ("x.roll(1, {d})", "roll"),
    "gather": ("x.gather({d}, M.zeros(x.shape, dtype=M.int64))", "gather"),
    "index_select": ("x.index_select({d}, M.tensor([0]))", "index_select"),
    "scatter": ("x.scatter({d}, M.zeros(x.shape, dtype=M.int64), x)", "scatter"),
    "scatter_add": ("M.scatter_add(x, {d}, M.zeros(x.shape, dtype=M.int64), x)", "scatter_add"),
    "split": ("x.split(1, {d})", "split"),
    "chunk": ("x.chunk(2, {d})", "chunk"),
    "cat": ("M.cat([x, x], {d})", "cat"),
    "stack": ("M.stack([x, x], {d})", "stack"),
    "normalize": ("F.normalize(x, dim={d})", "normalize|norm"),
    "cosine_similarity": ("F.cosine_similarity(x, x, dim={d})", "cosine_similarity"),
    "size": ("x.size({d})", ""),
    "permute": ("x.permute({d})", "permute"),
    "tril": ("x.tril({d})", "tril"),
    "repeat_interleave_like": ("x.expand_as(x).sum(dim={d}, keepdim=True)", "sum"),
    "index_dim": ("x[({d},)]", ""),
    "squeeze_tuple": ("x.squeeze(({d},))", "squeeze"),
    "swapaxes": ("x.swapaxes({d}, 0)", "transpose|swapaxes"),
    "amax_tuple": ("x.amax((0, {d}))", "amax"),
    "var_tuple": ("x.var(({d},))", "var"),
}


def dim_cases() -> list[Case]:
    out = []
    for tname, (setup, nd) in TENSORS.items():
        n = max(nd, 1)
        dims = sorted({-n - 2, -n - 1, -n, -1, 0, n - 1, n, n + 1, 5})
        for opname, (call, op) in DIM_OPS.items():
            for d in dims:
                out.append(Case(f"dim-{opname}-{tname}-{d}", setup, call.format(d=d), op, "dims"))
    return out


_BIN = {  # name: (call on a and b, op name)
    "add": ("a + b", "add"),
    "sub": ("a - b", "sub"),
    "mul": ("a * b", "mul"),
    "div": ("a / b", "div"),
    "pow": ("a ** b", "pow"),
    "floordiv": ("a // b", "floor_divide|floordiv"),
    "mod": ("a % b", "remainder|mod"),
    "maximum": ("M.maximum(a, b)", "maximum"),
    "minimum": ("M.minimum(a, b)", "minimum"),
    "eq": ("a == b", "eq"),
    "lt": ("a < b", "lt"),
    "and": ("a & b", "and"),
    "or": ("a | b", "or"),
    "xor": ("a ^ b", "xor"),
    "where": ("M.where(a > 1, a, b)", "where"),
    "matmul": ("a @ b.mT", "matmul"),
    "mm": ("M.mm(a, b.mT)", "mm|matmul"),
    "bmm": ("M.bmm(a[None], b.mT[None])", "bmm"),
    "einsum": ("M.einsum('ij,kj->ik', a, b)", "einsum"),
    "cat": ("M.cat([a, b])", "cat"),
    "stack": ("M.stack([a, b])", "stack"),
    "add_": ("a.clone().add_(b)", "add_"),
    "mul_": ("a.clone().mul_(b)", "mul_"),
    "copy_": ("a.clone().copy_(b)", "copy_"),
    "masked_fill": ("a.masked_fill(a > 1, b[0, 0])", "masked_fill"),
    "clamp": ("a.clamp(min=b)", "clamp"),
    "linear": ("F.linear(a, b)", "linear"),
    "setitem": ("a[0] = b[0]", "setitem"),
    "lerp_like": ("a * 0.5 + b * 0.5", "mul|add"),
    "gather_src": ("a.scatter(1, M.zeros(2, 3, dtype=M.int64), b)", "scatter"),
    "mse_loss": ("F.mse_loss(a, b)", "mse_loss"),
    "type_as": ("a.type_as(b)", ""),
}


def _mk(name: str, dt: str) -> str:
    return f"{name} = M.tensor([[1, 2, 3], [2, 1, 2]], dtype=M.{dt})"


def dtype_cases() -> list[Case]:
    out = []
    for da in DTYPES:
        for db in DTYPES:
            for opname, (call, op) in _BIN.items():
                stmt = not core.is_expression(call)
                out.append(
                    Case(
                        f"dtype-{opname}-{da}-{db}",
                        f"{_mk('a', da)}\n{_mk('b', db)}",
                        call,
                        op,
                        "dtypes",
                        after="a" if stmt else None,
                    )
                )
    # a tensor with Python numbers and 0-d tensors (weak types), both sides
    for da in DTYPES:
        for s in (
            "2",
            "2.5",
            "True",
            "-1",
            "M.tensor(2.5, dtype=M.float64)",
            "M.tensor(3)",
            "M.tensor(True)",
            "M.tensor(1.5, dtype=M.float16)",
            "np.float64(2.5)",
            "np.int32(3)",
        ):
            for sym in ("+", "*", "/", "**", "-"):
                nm = {"+": "add", "*": "mul", "/": "div", "**": "pow", "-": "sub"}[sym]
                out.append(Case(f"scalar-{da}-{nm}-{s}", _mk("a", da), f"a {sym} {s}", "", "scalars"))
                out.append(Case(f"rscalar-{da}-{nm}-{s}", _mk("a", da), f"{s} {sym} a", "", "scalars"))
    return out


_UNARY = {
    "exp": "a.exp()",
    "log": "a.log()",
    "sqrt": "a.sqrt()",
    "sin": "M.sin(a)",
    "tanh": "a.tanh()",
    "sigmoid": "a.sigmoid()",
    "abs": "a.abs()",
    "neg": "-a",
    "sign": "a.sign()",
    "relu": "a.relu()",
    "floor": "a.floor()",
    "round": "a.round()",
    "reciprocal": "a.reciprocal()",
    "rsqrt": "a.rsqrt()",
    "erf": "a.erf()",
    "expm1": "a.expm1()",
    "log1p": "a.log1p()",
    "softmax": "a.softmax(-1)",
    "log_softmax": "a.log_softmax(-1)",
    "sum": "a.sum()",
    "sum_dim": "a.sum(1)",
    "mean": "a.mean()",
    "cumsum": "a.cumsum(0)",
    "var": "a.var()",
    "std": "a.std(0)",
    "norm": "a.norm()",
    "max": "a.max()",
    "max_dim": "a.max(1)",
    "argmax": "a.argmax()",
    "sort": "a.sort()",
    "topk": "a.topk(1)",
    "any": "a.any()",
    "all": "a.all(0)",
    "logsumexp": "a.logsumexp(0)",
    "gelu": "F.gelu(a)",
    "silu": "F.silu(a)",
    "elu": "F.elu(a)",
    "leaky_relu": "F.leaky_relu(a)",
    "softplus": "F.softplus(a)",
    "clamp": "a.clamp(0, 1)",
    "square": "a.square()",
    "invert": "~a",
    "amax": "a.amax(0)",
    "trunc": "a.trunc()",
    "ceil": "a.ceil()",
    "cos": "a.cos()",
    "F.relu": "F.relu(a)",
    "F.sigmoid": "F.sigmoid(a)",
    "F.tanh": "F.tanh(a)",
    "F.softmax": "F.softmax(a, 1)",
    "normalize": "F.normalize(a)",
    "flip": "a.flip(0)",
    "tril": "a.tril()",
    "pad": "F.pad(a, (1, 1))",
    "dropout_eval": "F.dropout(a, 0.5, training=False)",
    "one_hot": "F.one_hot(a)",
    "argsort": "a.argsort()",
    "nonzero": "a.nonzero()",
    "isnan": "M.isnan(a)",
    "cumsum_dtype": "a.cumsum(0, dtype=M.float64)",
    "sum_dtype": "a.sum(dtype=M.float64)",
    "mean_dim": "a.mean(0)",
    "prod_of_mul": "a * a",
    "item": "a[0, 0].item()",
    "float": "a.float()",
    "long": "a.long()",
    "bool": "a.bool()",
    "double": "a.double()",
    "half": "a.half()",
    "requires_grad": "a.requires_grad_()",
    "conv1d": "F.conv1d(a[None], a[:, :, None])",
    "max_pool2d": "F.max_pool2d(a[None], 1)",
    "avg_pool2d": "F.avg_pool2d(a[None], 1)",
    "adaptive_avg_pool2d": "F.adaptive_avg_pool2d(a[None], 1)",
    "layer_norm": "F.layer_norm(a, (3,))",
    "cross_entropy": "F.cross_entropy(a, M.tensor([0, 1]))",
    "embedding_weight": "F.embedding(M.tensor([0, 1]), a)",
}


def unary_cases() -> list[Case]:
    out = []
    for dt in DTYPES:
        for name, call in _UNARY.items():
            op = name.removeprefix("F.").removesuffix("_dim").removesuffix("_dtype").removesuffix("_eval")
            out.append(Case(f"unary-{name}-{dt}", _mk("a", dt), call, op, "unary-dtypes"))
    return out


def _grad_setup(extra: str = "") -> str:
    return "x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)" + ("\n" + extra if extra else "")


HAND: list[tuple[str, str, str, str, str | None]] = [  # (id, setup, call, op, after)
    # requires_grad on integer and bool tensors
    ("rg-tensor-int", "", "M.tensor([1, 2], requires_grad=True)", "requires|grad|float", None),
    ("rg-zeros-int", "", "M.zeros(2, dtype=M.int64, requires_grad=True)", "requires|grad|float", None),
    ("rg-ones-bool", "", "M.ones(2, dtype=M.bool, requires_grad=True)", "requires|grad|float", None),
    ("rg-arange-int", "", "M.arange(3, requires_grad=True)", "requires|grad|float", None),
    ("rg-full-int", "", "M.full((2,), 3, requires_grad=True)", "requires|grad|float", None),
    ("rg-method-int", "x = M.tensor([1, 2])", "x.requires_grad_()", "requires_grad", None),
    ("rg-attr-int", "x = M.tensor([1, 2])", "x.requires_grad = True", "requires_grad", "x.requires_grad"),
    ("rg-attr-float", "x = M.tensor([1.0, 2])", "x.requires_grad = True", "", "x.requires_grad"),
    ("rg-long-then", "x = M.tensor([1.5])", "x.long().requires_grad_()", "requires_grad", None),
    ("rg-half-ok", "", "M.tensor([1.0], dtype=M.float16, requires_grad=True)", "", None),
    ("rg-randint", "", "M.randint(0, 3, (2,), requires_grad=True)", "requires|grad|float", None),
    (
        "rg-nonleaf-off",
        "x = M.tensor([1.0], requires_grad=True)",
        "(x * 2).requires_grad_(False)",
        "requires_grad",
        None,
    ),
    ("rg-nonleaf-on", "x = M.tensor([1.0], requires_grad=True)", "(x * 2).requires_grad_(True)", "", None),
    (
        "rg-attr-nonleaf",
        "x = M.tensor([1.0], requires_grad=True)\ny = x * 2",
        "y.requires_grad = False",
        "requires_grad",
        "y.requires_grad",
    ),
    ("rg-int-false", "x = M.tensor([1, 2])", "x.requires_grad_(False)", "", None),
    ("rg-like-int", "x = M.tensor([1, 2])", "M.zeros_like(x, requires_grad=True)", "requires|grad|float", None),
    ("rg-new-int", "x = M.tensor([1, 2])", "x.new_zeros(2, requires_grad=True)", "requires|grad|float", None),
    # .grad assignment
    ("grad-wrong-shape", _grad_setup(), "x.grad = M.ones(2)", "grad", "x.grad"),
    ("grad-wrong-shape2", _grad_setup(), "x.grad = M.ones(1, 3)", "grad", "x.grad"),
    ("grad-wrong-dtype", _grad_setup(), "x.grad = M.ones(3, dtype=M.float64)", "grad", "x.grad"),
    ("grad-int-dtype", _grad_setup(), "x.grad = M.ones(3, dtype=M.int64)", "grad", "x.grad"),
    ("grad-number", _grad_setup(), "x.grad = 1.0", "grad", "x.grad"),
    ("grad-ndarray", _grad_setup(), "x.grad = np.ones(3, dtype=np.float32)", "grad", "x.grad"),
    ("grad-list", _grad_setup(), "x.grad = [1.0, 2.0, 3.0]", "grad", "x.grad"),
    ("grad-string", _grad_setup(), "x.grad = 'abc'", "grad", "x.grad"),
    ("grad-ok", _grad_setup(), "x.grad = M.ones(3)", "", "x.grad"),
    ("grad-none", _grad_setup("x.grad = M.ones(3)"), "x.grad = None", "", "x.grad"),
    ("grad-then-backward", _grad_setup("x.grad = M.ones(3)"), "(x * x).sum().backward()", "", "x.grad"),
    ("grad-on-int", "x = M.tensor([1, 2])", "x.grad = M.tensor([1, 1])", "grad", "x.grad"),
    ("grad-nonleaf-read", _grad_setup("y = x * 2\n(y * y).sum().backward()"), "y.grad", "", None),
    ("grad-expanded-ok", _grad_setup(), "x.grad = M.ones(()).expand(3)", "", "x.grad"),
    # non-numeric data
    ("data-str", "", "M.tensor('abc')", "tensor", None),
    ("data-list-str", "", "M.tensor(['a', 'b'])", "tensor", None),
    ("data-mixed", "", "M.tensor([1, 'a'])", "tensor", None),
    ("data-ragged", "", "M.tensor([[1, 2], [3]])", "tensor", None),
    ("data-ragged-mixed", "", "M.tensor([[1.0], 2.0])", "tensor", None),
    ("data-none", "", "M.tensor(None)", "tensor", None),
    ("data-none-in-list", "", "M.tensor([None, 1])", "tensor", None),
    ("data-object", "", "M.tensor(object())", "tensor", None),
    ("data-dict", "", "M.tensor({1: 2})", "tensor", None),
    ("data-np-str", "", "M.tensor(np.array(['a']))", "tensor", None),
    ("data-np-object", "", "M.tensor(np.array([1, None], dtype=object))", "tensor", None),
    ("data-bytes", "", "M.tensor(b'ab')", "tensor", None),
    ("data-set", "", "M.tensor({1, 2})", "tensor", None),
    ("data-empty", "", "M.tensor([])", "", None),
    ("data-empty-nested", "", "M.tensor([[], []])", "", None),
    ("data-bool-list", "", "M.tensor([True, False])", "", None),
    ("data-mixed-bool-int", "", "M.tensor([True, 2])", "", None),
    ("data-mixed-int-float", "", "M.tensor([1, 2.5])", "", None),
    ("data-np-float64", "", "M.tensor(np.array([1.5, 2.5]))", "", None),
    ("data-np-int32", "", "M.tensor(np.array([1, 2], dtype=np.int32))", "", None),
    ("data-np-scalar", "", "M.tensor(np.float64(2.5))", "", None),
    ("data-tensor-list", "", "M.tensor([M.tensor(1.0), M.tensor(2.0)])", "", None),
    ("data-float-to-int", "", "M.tensor([1.7, -1.7], dtype=M.int64)", "", None),
    ("data-overflow-f32", "", "M.tensor(1e40, dtype=M.float32)", "tensor", None),
    ("data-int-overflow", "", "M.tensor(2 ** 70)", "tensor", None),
    ("data-neg-uint8", "", "M.tensor(-1, dtype=M.uint8)", "tensor", None),
    ("data-nan-int", "", "M.tensor(float('nan'), dtype=M.int64)", "tensor", None),
    ("op-str", "x = M.ones(2)", "x + 'a'", "add", None),
    ("op-none", "x = M.ones(2)", "x * None", "mul", None),
    ("op-list", "x = M.ones(2)", "x + [1.0, 2.0]", "add", None),
    ("op-list-bad", "x = M.ones(2)", "x + [1.0, 2.0, 3.0]", "add", None),
    ("op-tuple", "x = M.ones(2)", "x * (1, 2)", "mul", None),
    ("op-ndarray-left", "x = M.ones(2)", "np.ones(2) + x", "", None),
    ("op-str-left", "x = M.ones(2)", "'a' * x", "mul", None),
    ("op-complex", "x = M.ones(2)", "x * 1j", "mul", None),
    ("op-ones-str", "", "M.ones('a')", "ones", None),
    ("op-zeros-float-size", "", "M.zeros((2, 3.5))", "zeros", None),
    ("op-full-str", "", "M.full((2,), 'a')", "full", None),
    ("op-exp-str", "", "M.exp('a')", "exp", None),
    ("op-exp-list", "", "M.exp([1.0, 2.0])", "exp", None),
    ("op-sum-list", "", "M.sum([1.0, 2.0])", "sum", None),
    ("op-cat-list-of-lists", "", "M.cat([[1.0], [2.0]])", "cat", None),
    ("op-where-str", "x = M.ones(2)", "M.where(x > 0, x, 'a')", "where", None),
    ("op-clamp-str", "x = M.ones(2)", "x.clamp(min='a')", "clamp", None),
    ("op-reshape-str", "x = M.ones(2)", "x.reshape('a')", "reshape", None),
    ("op-index-str", "x = M.ones(2)", "x['a']", "", None),
    ("op-index-float", "x = M.ones(2)", "x[1.0]", "", None),
    ("op-index-float-tensor", "x = M.ones(2)", "x[M.tensor([1.0])]", "getitem|index|indices", None),
    ("op-index-list-float", "x = M.ones(3)", "x[[0.0, 1.0]]", "", None),
    ("op-index-none-list", "x = M.ones(3)", "x[[None, 1]]", "", None),
    # impossible views and bad shapes
    ("view-transposed", "x = M.arange(6.0).reshape(2, 3)", "x.t().view(6)", "view", None),
    ("view-T", "x = M.arange(6.0).reshape(2, 3)", "x.T.view(-1)", "view", None),
    ("view-strided", "x = M.arange(8.0).reshape(2, 4)", "x[:, ::2].view(-1)", "view", None),
    ("view-expanded", "x = M.arange(3.0)", "x.expand(2, 3).view(6)", "view", None),
    ("view-permuted", "x = M.arange(6.0).reshape(2, 3)", "x.permute(1, 0).view(3, 2)", "view", None),
    ("view-ok-split-dim", "x = M.arange(6.0).reshape(2, 3)", "x.t().view(3, 2, 1)", "", None),
    ("view-ok-contig", "x = M.arange(6.0).reshape(2, 3)", "x.t().contiguous().view(6)", "", None),
    ("view-bad-numel", "x = M.arange(6.0)", "x.view(4)", "view|reshape", None),
    ("view-two-minus1", "x = M.arange(6.0)", "x.view(-1, -1)", "view|reshape", None),
    ("reshape-two-minus1", "x = M.arange(6.0)", "x.reshape(-1, -1)", "reshape", None),
    ("reshape-bad-numel", "x = M.arange(6.0)", "x.reshape(7)", "reshape", None),
    ("reshape-neg", "x = M.arange(6.0)", "x.reshape(-2, 3)", "reshape", None),
    ("reshape-empty-minus1", "x = M.zeros(0, 3)", "x.reshape(-1, 0)", "reshape", None),
    ("reshape-empty-ok", "x = M.zeros(0, 3)", "x.reshape(3, -1)", "", None),
    ("reshape-float-size", "x = M.arange(6.0)", "x.reshape(2.0, 3)", "reshape", None),
    ("reshape-0d", "x = M.tensor(2.0)", "x.reshape(1, 1)", "", None),
    ("view-minus1-zero", "x = M.zeros(0)", "x.view(-1)", "", None),
    ("unflatten-bad", "x = M.arange(6.0)", "x.unflatten(0, (4, -1))", "unflatten|reshape", None),
    ("expand-smaller", "x = M.arange(2.0)", "x.expand(3)", "expand", None),
    ("expand-minus1-new", "x = M.arange(2.0)", "x.expand(-1, 2)", "expand", None),
    ("expand-fewer", "x = M.ones(2, 3)", "x.expand(3)", "expand", None),
    ("expand-zero", "x = M.ones(1, 3)", "x.expand(0, 3)", "", None),
    ("expand-neg", "x = M.ones(1, 3)", "x.expand(-2, 3)", "expand", None),
    ("broadcast-to-bad", "x = M.arange(2.0)", "x.broadcast_to((3,))", "broadcast", None),
    ("broadcast-to-fewer", "x = M.ones(2, 3)", "M.broadcast_to(x, (3,))", "broadcast", None),
    ("flatten-start-after-end", "x = M.ones(2, 3, 4)", "x.flatten(2, 1)", "flatten", None),
    ("t-3d", "x = M.ones(2, 3, 4)", "x.t()", "t", None),
    ("mT-1d", "x = M.ones(3)", "x.mT", "transpose|mT", None),
    ("T-3d", "x = M.ones(2, 3, 4)", "x.T", "", None),
    ("permute-repeat", "x = M.ones(2, 3)", "x.permute(0, 0)", "permute", None),
    ("permute-short", "x = M.ones(2, 3)", "x.permute(0)", "permute", None),
    ("permute-long", "x = M.ones(2, 3)", "x.permute(0, 1, 2)", "permute", None),
    ("permute-neg-dup", "x = M.ones(2, 3)", "x.permute(1, -1)", "permute", None),
    ("narrow-too-long", "x = M.ones(3)", "x.narrow(0, 2, 5)", "narrow", None),
    ("narrow-neg-len", "x = M.ones(3)", "x.narrow(0, 1, -1)", "narrow", None),
    ("narrow-start-oor", "x = M.ones(3)", "x.narrow(0, 4, 0)", "narrow", None),
    ("narrow-neg-start", "x = M.ones(3)", "x.narrow(0, -3, 2)", "", None),
    ("repeat-fewer", "x = M.ones(2, 3)", "x.repeat(2)", "repeat", None),
    ("repeat-neg", "x = M.ones(2)", "x.repeat(-1)", "repeat", None),
    ("repeat-zero", "x = M.ones(2)", "x.repeat(0, 2)", "", None),
    ("split-bad-sections", "x = M.ones(5)", "x.split([2, 2])", "split", None),
    ("split-zero", "x = M.ones(5)", "x.split(0)", "split", None),
    ("split-zero-empty", "x = M.ones(0)", "x.split(0)", "", None),
    ("split-neg", "x = M.ones(5)", "x.split(-1)", "split", None),
    ("split-neg-section", "x = M.ones(5)", "x.split([6, -1])", "split", None),
    ("chunk-zero", "x = M.ones(5)", "x.chunk(0)", "chunk", None),
    ("chunk-neg", "x = M.ones(5)", "x.chunk(-2)", "chunk", None),
    ("chunk-more", "x = M.ones(5)", "x.chunk(8)", "", None),
    ("chunk-empty", "x = M.ones(0)", "x.chunk(3)", "", None),
    ("chunk-0d", "x = M.tensor(1.0)", "x.chunk(1)", "chunk", None),
    ("split-0d", "x = M.tensor(1.0)", "x.split(1)", "split", None),
    ("unbind-0d", "x = M.tensor(1.0)", "x.unbind()", "unbind", None),
    ("topk-too-big", "x = M.ones(3)", "x.topk(4)", "topk", None),
    ("topk-neg", "x = M.ones(3)", "x.topk(-1)", "topk", None),
    ("topk-0d-k1", "x = M.tensor(2.0)", "x.topk(1)", "", None),
    ("topk-0d-k2", "x = M.tensor(2.0)", "x.topk(2)", "topk", None),
    ("squeeze-nonunit", "x = M.ones(2, 3)", "x.squeeze(0)", "", None),
    ("tril-1d", "x = M.ones(3)", "x.tril()", "tril", None),
    ("triu-0d", "x = M.tensor(1.0)", "M.triu(x)", "triu", None),
    ("cat-0d", "x = M.tensor(1.0)", "M.cat([x, x])", "cat", None),
    ("cat-empty-list", "", "M.cat([])", "cat", None),
    ("cat-shapes", "x = M.ones(2, 3)\ny = M.ones(2, 4)", "M.cat([x, y])", "cat", None),
    ("cat-ndim", "x = M.ones(2, 3)\ny = M.ones(3)", "M.cat([x, y])", "cat", None),
    ("cat-legacy-empty", "x = M.ones(2, 3)\ny = M.zeros(0)", "M.cat([x, y])", "", None),
    ("cat-int-float", "x = M.ones(2)\ny = M.ones(2, dtype=M.int64)", "M.cat([x, y])", "", None),
    ("cat-tensor-not-list", "x = M.ones(2, 3)", "M.cat(x)", "", None),
    ("stack-shapes", "x = M.ones(2, 3)\ny = M.ones(3, 2)", "M.stack([x, y])", "stack", None),
    ("stack-empty-list", "", "M.stack([])", "stack", None),
    ("stack-0d", "x = M.tensor(1.0)", "M.stack([x, x], 1)", "", None),
    ("pad-odd", "x = M.ones(2, 3)", "F.pad(x, (1,))", "pad", None),
    ("pad-too-many", "x = M.ones(3)", "F.pad(x, (1, 1, 1, 1))", "pad", None),
    ("pad-too-negative", "x = M.ones(3)", "F.pad(x, (-2, -2))", "pad", None),
    ("pad-to-zero", "x = M.ones(3)", "F.pad(x, (-2, -1))", "", None),
    ("pad-float-amount", "x = M.ones(3)", "F.pad(x, (1.5, 1))", "pad", None),
    ("pad-bad-mode", "x = M.ones(1, 3)", "F.pad(x, (1, 1), mode='bogus')", "pad", None),
    ("pad-0d", "x = M.tensor(1.0)", "F.pad(x, (1, 1))", "pad", None),
    ("pad-empty", "x = M.ones(2)", "F.pad(x, ())", "", None),
    ("clamp-none", "x = M.ones(3)", "x.clamp()", "clamp", None),
    ("clamp-min-gt-max", "x = M.arange(3.0)", "x.clamp(2, 1)", "", None),
    ("item-multi", "x = M.ones(2)", "x.item()", "item", None),
    ("item-empty", "x = M.ones(0)", "x.item()", "item", None),
    ("bool-ambiguous", "x = M.ones(2)", "bool(x)", "bool|ambiguous", None),
    ("bool-empty", "x = M.ones(0)", "bool(x)", "bool|ambiguous", None),
    ("float-multi", "x = M.ones(2)", "float(x)", "float|item|convert|scalar", None),
    ("int-multi", "x = M.ones(2)", "int(x)", "int|item|convert|scalar", None),
    ("int-float-1", "x = M.tensor([2.7])", "int(x)", "", None),
    ("index-float-tensor-1", "x = M.ones(3)\ni = M.tensor(1.0)", "x[i]", "getitem|index|indices", None),
    ("len-0d", "x = M.tensor(1.0)", "len(x)", "len|0-d", None),
    ("iter-0d", "x = M.tensor(1.0)", "list(x)", "iter|0-d", None),
    ("index-int-tensor-as-index", "i = M.tensor(1)", "[10, 20, 30][i]", "", None),
    ("index-op-multi", "i = M.tensor([1, 2])", "[10, 20, 30][i]", "index|convert|scalar", None),
    ("numpy-requires-grad", _grad_setup(), "x.numpy()", "numpy", None),
    ("numpy-detached", _grad_setup(), "x.detach().numpy()", "", None),
    ("tolist-grad", _grad_setup(), "x.tolist()", "", None),
    # indexing out of range
    ("index-oor", "x = M.ones(3)", "x[3]", "getitem|index|indices", None),
    ("index-neg-oor", "x = M.ones(3)", "x[-4]", "getitem|index|indices", None),
    ("index-too-many", "x = M.ones(2, 3)", "x[0, 0, 0]", "getitem|index|indices", None),
    ("index-tensor-oor", "x = M.ones(3)", "x[M.tensor([3])]", "getitem|index|indices", None),
    ("index-list-oor", "x = M.ones(3)", "x[[0, 5]]", "getitem|index|indices", None),
    ("index-list-neg-oor", "x = M.ones(3)", "x[[0, -4]]", "getitem|index|indices", None),
    ("index-mask-shape", "x = M.ones(3)", "x[M.tensor([True, False])]", "index|mask|shape", None),
    ("index-mask-2d-shape", "x = M.ones(2, 3)", "x[M.ones(3, 2, dtype=M.bool)]", "index|mask|shape", None),
    ("index-two-ellipsis", "x = M.ones(2, 3)", "x[..., ...]", "index|ellipsis", None),
    ("index-adv-nonbroadcast", "x = M.ones(3, 3, 3)", "x[:, [0, 1], [0, 1, 2]]", "index|shape|broadcast", None),
    ("index-int32", "x = M.arange(3.0)", "x[M.tensor([2, 0], dtype=M.int32)]", "", None),
    ("index-int8", "x = M.arange(3.0)", "x[M.tensor([2, 0], dtype=M.int8)]", "", None),
    ("index-0d-tensor", "x = M.arange(3.0)", "x[M.tensor(1)]", "", None),
    ("index-bool-scalar", "x = M.arange(3.0)", "x[True]", "", None),
    ("index-bool-scalar-false", "x = M.arange(3.0)", "x[False]", "", None),
    ("index-empty-list", "x = M.arange(3.0)", "x[[]]", "", None),
    ("index-0d-slice", "x = M.tensor(1.0)", "x[:]", "index|slice", None),
    ("index-0d-int", "x = M.tensor(1.0)", "x[0]", "getitem|index|indices", None),
    ("index-0d-none", "x = M.tensor(1.0)", "x[None]", "", None),
    ("index-0d-ellipsis", "x = M.tensor(1.0)", "x[...]", "", None),
    ("index-neg-step", "x = M.arange(3.0)", "x[::-1]", "index|step|slice", None),
    ("index-zero-step", "x = M.arange(3.0)", "x[::0]", "index|step|slice", None),
    ("index-slice-oor", "x = M.arange(3.0)", "x[5:10]", "", None),
    ("index-nested-list", "x = M.arange(6.0).reshape(2, 3)", "x[[[0, 1], [1, 0]]]", "", None),
    ("index-tuple-of-lists", "x = M.arange(6.0).reshape(2, 3)", "x[[0, 1], [2, 0]]", "", None),
    ("index-uint8-mask", "x = M.arange(3.0)", "x[M.tensor([1, 0, 1], dtype=M.uint8)]", "", None),
    ("index-mask-0d", "x = M.arange(3.0)", "x[M.tensor(True)]", "", None),
    ("setitem-oor", "x = M.ones(3)", "x[3] = 1.0", "getitem|setitem|index|indices", "x"),
    ("setitem-shape", "x = M.ones(2, 3)", "x[0] = M.ones(5)", "setitem|shape|broadcast", "x"),
    ("setitem-broadcast-ok", "x = M.ones(2, 3)", "x[0] = M.ones(1)", "", "x"),
    ("setitem-str", "x = M.ones(3)", "x[0] = 'a'", "setitem", "x"),
    ("setitem-mask-shape", "x = M.ones(3)", "x[M.tensor([True])] = 1.0", "index|mask|setitem", "x"),
    ("setitem-f64-into-f32", "x = M.ones(3)", "x[0] = M.tensor(2.5, dtype=M.float64)", "", "x"),
    ("setitem-float-into-int", "x = M.ones(3, dtype=M.int64)", "x[0] = 2.7", "", "x"),
    ("setitem-float-tensor-into-int", "x = M.ones(3, dtype=M.int64)", "x[0] = M.tensor(2.7)", "", "x"),
    ("setitem-grad-leaf", _grad_setup(), "x[0] = 5.0", "leaf|in-place|setitem", "x"),
    ("setitem-grad-leaf-nograd", _grad_setup(), "with M.no_grad():\n    x[0] = 5.0", "", "x"),
    ("setitem-dup-adv", "x = M.zeros(3)", "x[[0, 0]] = M.tensor([1.0, 1.0])", "", "x"),
    ("setitem-int-tensor-to-bool", "x = M.zeros(3, dtype=M.bool)", "x[0] = 2", "", "x"),
    ("gather-oor", "x = M.ones(2, 3)", "x.gather(1, M.tensor([[5], [0]]))", "gather", None),
    ("gather-neg", "x = M.ones(2, 3)", "x.gather(1, M.tensor([[-1], [0]]))", "gather", None),
    ("gather-int32", "x = M.ones(2, 3)", "x.gather(1, M.tensor([[0], [1]], dtype=M.int32))", "gather", None),
    ("gather-float-index", "x = M.ones(2, 3)", "x.gather(1, M.tensor([[0.0], [1.0]]))", "gather", None),
    ("gather-ndim", "x = M.ones(2, 3)", "x.gather(1, M.tensor([0, 1]))", "gather", None),
    ("gather-big-index", "x = M.ones(2, 3)", "x.gather(1, M.zeros(3, 1, dtype=M.int64))", "gather", None),
    ("gather-0d", "x = M.tensor(2.0)", "x.gather(0, M.tensor(0))", "", None),
    ("gather-empty-index", "x = M.ones(2, 3)", "x.gather(1, M.zeros(2, 0, dtype=M.int64))", "", None),
    ("index-select-oor", "x = M.ones(2, 3)", "x.index_select(1, M.tensor([3]))", "index_select", None),
    ("index-select-neg", "x = M.ones(2, 3)", "x.index_select(1, M.tensor([-1]))", "index_select", None),
    ("index-select-2d", "x = M.ones(2, 3)", "x.index_select(1, M.tensor([[0]]))", "index_select", None),
    ("index-select-float", "x = M.ones(2, 3)", "x.index_select(1, M.tensor([0.0]))", "index_select", None),
    ("index-select-int32", "x = M.ones(2, 3)", "x.index_select(1, M.tensor([0, 2], dtype=M.int32))", "", None),
    ("index-select-0d-index", "x = M.ones(2, 3)", "x.index_select(1, M.tensor(2))", "", None),
    ("index-select-0d-input", "x = M.tensor(2.0)", "x.index_select(0, M.tensor([0]))", "", None),
    ("scatter-oor", "x = M.zeros(2, 3)", "x.scatter(1, M.tensor([[3], [0]]), 1.0)", "scatter", None),
    ("scatter-neg", "x = M.zeros(2, 3)", "x.scatter(1, M.tensor([[-1], [0]]), 1.0)", "scatter", None),
    (
        "scatter-src-dtype",
        "x = M.zeros(2, 3)",
        "x.scatter(1, M.tensor([[1], [0]]), M.ones(2, 1, dtype=M.float64))",
        "scatter",
        None,
    ),
    (
        "scatter-src-small",
        "x = M.zeros(2, 3)",
        "x.scatter(1, M.tensor([[1, 2], [0, 1]]), M.ones(2, 1))",
        "scatter",
        None,
    ),
    (
        "scatter-int32-index",
        "x = M.zeros(2, 3)",
        "x.scatter(1, M.tensor([[1], [0]], dtype=M.int32), 1.0)",
        "scatter",
        None,
    ),
    (
        "scatter-add-src-dtype",
        "x = M.zeros(2, 3)",
        "x.scatter_add(1, M.tensor([[1], [0]]), M.ones(2, 1, dtype=M.int64))",
        "scatter_add",
        None,
    ),
    (
        "scatter-add-oor",
        "x = M.zeros(2, 3)",
        "x.scatter_add(1, M.tensor([[4], [0]]), M.ones(2, 1))",
        "scatter_add",
        None,
    ),
    ("scatter-inplace-leaf", _grad_setup(), "x.scatter_(0, M.tensor([0]), 1.0)", "leaf|in-place|scatter_", None),
    ("scatter-reduce-kw", "x = M.zeros(3)", "x.scatter(0, M.tensor([0, 0]), M.ones(2), reduce='add')", "", None),
    ("masked-fill-float-mask", "x = M.ones(3)", "x.masked_fill(M.ones(3), 0.0)", "masked_fill", None),
    ("masked-fill-int-mask", "x = M.ones(3)", "x.masked_fill(M.tensor([1, 0, 1]), 0.0)", "masked_fill", None),
    ("masked-fill-uint8-mask", "x = M.ones(3)", "x.masked_fill(M.tensor([1, 0, 1], dtype=M.uint8), 0.0)", "", None),
    ("masked-fill-shape", "x = M.ones(3)", "x.masked_fill(M.tensor([True, False]), 0.0)", "masked_fill", None),
    ("masked-fill-value-1d", "x = M.ones(3)", "x.masked_fill(x > 0, M.ones(1))", "masked_fill", None),
    ("masked-fill-value-str", "x = M.ones(3)", "x.masked_fill(x > 0, 'a')", "masked_fill", None),
    ("masked-fill-mask-bigger", "x = M.ones(3)", "x.masked_fill(M.ones(2, 3, dtype=M.bool), 0.0)", "masked_fill", None),
    ("masked-fill-int-value-float", "x = M.ones(3, dtype=M.int64)", "x.masked_fill(x > 0, 2.5)", "", None),
    ("masked-fill-bool-value-float", "x = M.ones(3, dtype=M.bool)", "x.masked_fill(x, 2.5)", "", None),
    ("where-int-cond", "x = M.ones(3)", "M.where(M.tensor([1, 0, 1]), x, 0.0)", "where", None),
    # index, mask and condition arguments: lists are refused as PyTorch refuses them; NumPy arrays are
    # accepted by the engine (README, "Where it differs from PyTorch": reported as skipped)
    ("gather-list-index", "x = M.ones(2, 3)", "x.gather(1, [[0], [1]])", "gather", None),
    ("gather-ndarray-index", "x = M.ones(2, 3)", "x.gather(1, np.array([[0], [1]]))", "gather", None),
    ("index-select-list", "x = M.ones(2, 3)", "x.index_select(1, [0, 2])", "index_select", None),
    ("index-select-ndarray", "x = M.ones(2, 3)", "M.index_select(x, 1, np.array([0, 2]))", "index_select", None),
    ("where-list-cond", "x = M.ones(2)", "M.where([True, False], x, 0.0)", "where", None),
    ("where-ndarray-cond", "x = M.ones(2)", "M.where(np.array([True, False]), x, 0.0)", "where", None),
    ("masked-fill-list-mask", "x = M.ones(2)", "x.masked_fill([True, False], 0.0)", "masked_fill", None),
    ("masked-fill-ndarray-mask", "x = M.ones(2)", "x.masked_fill(np.array([True, False]), 0.0)", "masked_fill", None),
    ("scatter-list-index", "x = M.zeros(2, 3)", "x.scatter(1, [[1], [0]], 1.0)", "scatter", None),
    ("bw-gradient-ndarray", _grad_setup(), "(x * 2).backward(np.ones(3, dtype=np.float32))", "backward", "x.grad"),
    ("F-embedding-ndarray", "w = M.ones(3, 2)", "F.embedding(np.array([0, 2]), w)", "embedding", None),
    ("F-one-hot-ndarray", "", "F.one_hot(np.array([0, 2]), 3)", "one_hot", None),
    ("F-cross-entropy-ndarray", "x = M.ones(2, 3)", "F.cross_entropy(x, np.array([0, 2]))", "cross_entropy", None),
    ("where-float-cond", "x = M.ones(3)", "M.where(x, x, 0.0)", "where", None),
    ("where-shapes", "x = M.ones(3)", "M.where(x > 0, x, M.ones(2))", "where", None),
    ("where-one-arg", "x = M.tensor([0.0, 1.0, 2.0])", "M.where(x > 0)", "", None),
    ("where-two-args", "x = M.ones(3)", "M.where(x > 0, x)", "where", None),
    ("where-scalars", "x = M.ones(3)", "M.where(x > 0, 1.0, 0)", "", None),
    ("where-int-scalars", "x = M.ones(3)", "M.where(x > 0, 1, 0)", "", None),
    # matrix products and convolutions: shapes
    ("matmul-1d-mismatch", "a = M.ones(3)\nb = M.ones(4)", "a @ b", "matmul", None),
    ("matmul-2d1d-mismatch", "a = M.ones(2, 3)\nb = M.ones(4)", "a @ b", "matmul", None),
    ("matmul-1d2d-mismatch", "a = M.ones(3)\nb = M.ones(4, 2)", "a @ b", "matmul", None),
    ("matmul-batch-mismatch", "a = M.ones(2, 2, 3)\nb = M.ones(3, 3, 2)", "a @ b", "matmul", None),
    ("matmul-0d", "a = M.tensor(2.0)\nb = M.ones(3)", "a @ b", "matmul", None),
    ("matmul-0d-both", "a = M.tensor(2.0)", "a @ a", "matmul", None),
    ("matmul-empty", "a = M.ones(2, 0)\nb = M.ones(0, 3)", "a @ b", "", None),
    ("matmul-number", "a = M.ones(2, 2)", "a @ 2.0", "matmul", None),
    ("matmul-list", "a = M.ones(2, 2)", "a @ [[1.0, 0.0], [0.0, 1.0]]", "matmul", None),
    ("matmul-ndarray", "a = M.ones(2, 2)", "a @ np.eye(2, dtype=np.float32)", "", None),
    ("mm-1d", "a = M.ones(3)\nb = M.ones(3, 2)", "M.mm(a, b)", "mm", None),
    ("mm-3d", "a = M.ones(2, 2, 3)\nb = M.ones(3, 2)", "M.mm(a, b)", "mm", None),
    ("mm-mismatch", "a = M.ones(2, 3)\nb = M.ones(2, 2)", "M.mm(a, b)", "mm|matmul", None),
    ("bmm-2d", "a = M.ones(2, 3)\nb = M.ones(3, 2)", "M.bmm(a, b)", "bmm", None),
    ("bmm-batch", "a = M.ones(2, 2, 3)\nb = M.ones(3, 3, 2)", "M.bmm(a, b)", "bmm", None),
    ("bmm-broadcast-batch", "a = M.ones(1, 2, 3)\nb = M.ones(3, 3, 2)", "M.bmm(a, b)", "bmm", None),
    ("bmm-inner", "a = M.ones(2, 2, 3)\nb = M.ones(2, 2, 2)", "M.bmm(a, b)", "bmm|matmul", None),
    ("einsum-operands", "a = M.ones(2, 3)", "M.einsum('ij,jk->ik', a)", "einsum", None),
    ("einsum-rank", "a = M.ones(2, 3)", "M.einsum('ijk->i', a)", "einsum", None),
    ("einsum-size", "a = M.ones(2, 3)\nb = M.ones(4, 2)", "M.einsum('ij,jk->ik', a, b)", "einsum", None),
    ("einsum-out-unknown", "a = M.ones(2, 3)", "M.einsum('ij->k', a)", "einsum", None),
    ("einsum-out-repeat", "a = M.ones(2, 3)", "M.einsum('ij->ii', a)", "einsum", None),
    ("einsum-bad-char", "a = M.ones(2, 3)", "M.einsum('i1->i', a)", "einsum", None),
    ("einsum-broadcast-1", "a = M.ones(1, 3)\nb = M.ones(2, 3)", "M.einsum('ij,ij->ij', a, b)", "", None),
    ("einsum-spaces", "a = M.ones(2, 3)", "M.einsum('i j -> j i', a)", "", None),
    ("einsum-uppercase", "a = M.ones(2, 3)", "M.einsum('Ab->bA', a)", "", None),
    ("linear-in", "x = M.ones(2, 3)\nw = M.ones(4, 2)", "F.linear(x, w)", "linear", None),
    ("linear-bias", "x = M.ones(2, 3)\nw = M.ones(4, 3)", "F.linear(x, w, M.ones(3))", "linear", None),
    ("linear-bias-broadcast", "x = M.ones(2, 3)\nw = M.ones(4, 3)", "F.linear(x, w, M.ones(1))", "", None),
    ("linear-0d", "x = M.tensor(1.0)\nw = M.ones(4, 1)", "F.linear(x, w)", "linear", None),
    ("linear-w1d", "x = M.ones(2, 3)\nw = M.ones(3)", "F.linear(x, w)", "", None),
    ("conv2d-channels", "x = M.ones(1, 2, 5, 5)\nw = M.ones(3, 3, 2, 2)", "F.conv2d(x, w)", "conv2d", None),
    ("conv2d-weight-ndim", "x = M.ones(1, 2, 5, 5)\nw = M.ones(3, 2, 2)", "F.conv2d(x, w)", "conv2d", None),
    ("conv2d-input-2d", "x = M.ones(5, 5)\nw = M.ones(3, 1, 2, 2)", "F.conv2d(x, w)", "conv2d", None),
    (
        "conv2d-groups",
        "x = M.ones(1, 3, 5, 5)\nw = M.ones(2, 1, 2, 2)",
        "F.conv2d(x, w, groups=2)",
        "conv2d|groups",
        None,
    ),
    (
        "conv2d-groups-out",
        "x = M.ones(1, 2, 5, 5)\nw = M.ones(3, 1, 2, 2)",
        "F.conv2d(x, w, groups=2)",
        "conv2d|groups",
        None,
    ),
    (
        "conv2d-same-stride",
        "x = M.ones(1, 1, 5, 5)\nw = M.ones(1, 1, 3, 3)",
        "F.conv2d(x, w, stride=2, padding='same')",
        "conv2d|same",
        None,
    ),
    (
        "conv2d-bad-padding-str",
        "x = M.ones(1, 1, 5, 5)\nw = M.ones(1, 1, 3, 3)",
        "F.conv2d(x, w, padding='full')",
        "conv2d|padding",
        None,
    ),
    ("conv2d-kernel-big", "x = M.ones(1, 1, 2, 2)\nw = M.ones(1, 1, 3, 3)", "F.conv2d(x, w)", "conv2d|kernel", None),
    (
        "conv2d-stride-0",
        "x = M.ones(1, 1, 5, 5)\nw = M.ones(1, 1, 3, 3)",
        "F.conv2d(x, w, stride=0)",
        "conv2d|stride",
        None,
    ),
    (
        "conv2d-neg-pad",
        "x = M.ones(1, 1, 5, 5)\nw = M.ones(1, 1, 3, 3)",
        "F.conv2d(x, w, padding=-1)",
        "conv2d|padding",
        None,
    ),
    (
        "conv2d-dilation-0",
        "x = M.ones(1, 1, 5, 5)\nw = M.ones(1, 1, 3, 3)",
        "F.conv2d(x, w, dilation=0)",
        "conv2d|dilation",
        None,
    ),
    (
        "conv2d-bias-shape",
        "x = M.ones(1, 1, 5, 5)\nw = M.ones(2, 1, 3, 3)",
        "F.conv2d(x, w, M.ones(3))",
        "conv2d|bias",
        None,
    ),
    ("conv2d-same-even", "x = M.ones(1, 1, 5, 5)\nw = M.ones(1, 1, 2, 2)", "F.conv2d(x, w, padding='same')", "", None),
    (
        "conv2d-tuple-len",
        "x = M.ones(1, 1, 5, 5)\nw = M.ones(1, 1, 3, 3)",
        "F.conv2d(x, w, stride=(1, 1, 1))",
        "conv2d|stride",
        None,
    ),
    (
        "conv2d-int-input",
        "x = M.ones(1, 1, 5, 5, dtype=M.int64)\nw = M.ones(1, 1, 3, 3, dtype=M.int64)",
        "F.conv2d(x, w)",
        "conv2d",
        None,
    ),
    ("conv1d-channels", "x = M.ones(1, 2, 5)\nw = M.ones(3, 3, 2)", "F.conv1d(x, w)", "conv1d", None),
    ("conv1d-4d", "x = M.ones(1, 1, 5, 5)\nw = M.ones(1, 1, 2)", "F.conv1d(x, w)", "conv1d", None),
    ("conv1d-unbatched", "x = M.ones(2, 5)\nw = M.ones(3, 2, 2)", "F.conv1d(x, w)", "", None),
    ("maxpool-kernel-big", "x = M.ones(1, 1, 2, 2)", "F.max_pool2d(x, 3)", "max_pool2d|kernel|size", None),
    ("maxpool-pad-big", "x = M.ones(1, 1, 4, 4)", "F.max_pool2d(x, 2, padding=2)", "max_pool2d|pad", None),
    ("maxpool-2d-input", "x = M.ones(4, 4)", "F.max_pool2d(x, 2)", "max_pool2d", None),
    ("maxpool-stride-0", "x = M.ones(1, 1, 4, 4)", "F.max_pool2d(x, 2, stride=0)", "max_pool2d|stride", None),
    ("maxpool-kernel-0", "x = M.ones(1, 1, 4, 4)", "F.max_pool2d(x, 0)", "max_pool2d|kernel", None),
    ("maxpool-int", "x = M.ones(1, 1, 4, 4, dtype=M.int64)", "F.max_pool2d(x, 2)", "max_pool2d", None),
    ("avgpool-kernel-big", "x = M.ones(1, 1, 2, 2)", "F.avg_pool2d(x, 3)", "avg_pool2d|kernel|size", None),
    ("avgpool-pad-big", "x = M.ones(1, 1, 4, 4)", "F.avg_pool2d(x, 2, padding=2)", "avg_pool2d|pad", None),
    ("avgpool-ceil", "x = M.arange(25.0).reshape(1, 1, 5, 5)", "F.avg_pool2d(x, 2, ceil_mode=True)", "", None),
    (
        "avgpool-divisor-0",
        "x = M.ones(1, 1, 4, 4)",
        "F.avg_pool2d(x, 2, divisor_override=0)",
        "avg_pool2d|divisor",
        None,
    ),
    ("avgpool-int", "x = M.ones(1, 1, 4, 4, dtype=M.int64)", "F.avg_pool2d(x, 2)", "", None),
    ("adaptive-2d-input", "x = M.ones(4, 4)", "F.adaptive_avg_pool2d(x, 2)", "adaptive_avg_pool2d", None),
    ("adaptive-neg", "x = M.ones(1, 1, 4, 4)", "F.adaptive_avg_pool2d(x, -1)", "adaptive_avg_pool2d", None),
    ("adaptive-zero", "x = M.ones(1, 1, 4, 4)", "F.adaptive_avg_pool2d(x, 0)", "", None),
    ("adaptive-bigger", "x = M.arange(16.0).reshape(1, 1, 4, 4)", "F.adaptive_avg_pool2d(x, 6)", "", None),
    ("adaptive-three", "x = M.ones(1, 1, 4, 4)", "F.adaptive_avg_pool2d(x, (1, 2, 3))", "adaptive_avg_pool2d", None),
    ("adaptive-empty", "x = M.ones(1, 1, 0, 4)", "F.adaptive_avg_pool2d(x, 2)", "adaptive_avg_pool2d", None),
    (
        "lstm-shapes",
        "a = M.ones(2, 8)\nb = M.ones(2, 8)\nc = M.ones(2, 3)",
        "M.fused_lstm_cell(a, b, c)",
        "fused_lstm_cell",
        None,
    ),
    # nn.functional misuse
    ("layer-norm-shape", "x = M.ones(2, 3)", "F.layer_norm(x, (2,))", "layer_norm", None),
    ("layer-norm-weight", "x = M.ones(2, 3)", "F.layer_norm(x, (3,), M.ones(2))", "layer_norm", None),
    ("layer-norm-int-shape", "x = M.arange(6.0).reshape(2, 3)", "F.layer_norm(x, 3)", "", None),
    ("layer-norm-int-input", "x = M.ones(2, 3, dtype=M.int64)", "F.layer_norm(x, (3,))", "layer_norm", None),
    ("batch-norm-1", "x = M.ones(1, 3)", "F.batch_norm(x, None, None, training=True)", "batch_norm", None),
    ("batch-norm-stats", "x = M.ones(2, 3)", "F.batch_norm(x, M.zeros(2), M.ones(2))", "batch_norm", None),
    ("batch-norm-1d", "x = M.ones(3)", "F.batch_norm(x, M.zeros(3), M.ones(3))", "batch_norm", None),
    ("batch-norm-no-stats-eval", "x = M.ones(2, 3)", "F.batch_norm(x, None, None, training=False)", "batch_norm", None),
    (
        "batch-norm-weight",
        "x = M.arange(6.0).reshape(2, 3)",
        "F.batch_norm(x, None, None, M.ones(2), training=True)",
        "batch_norm",
        None,
    ),
    ("embedding-oor", "w = M.ones(3, 2)", "F.embedding(M.tensor([3]), w)", "embedding|index", None),
    ("embedding-neg", "w = M.ones(3, 2)", "F.embedding(M.tensor([-1]), w)", "embedding|index", None),
    ("embedding-float-idx", "w = M.ones(3, 2)", "F.embedding(M.tensor([1.0]), w)", "embedding", None),
    (
        "embedding-int32-idx",
        "w = M.arange(6.0).reshape(3, 2)",
        "F.embedding(M.tensor([2, 0], dtype=M.int32), w)",
        "",
        None,
    ),
    (
        "embedding-pad-oor",
        "w = M.ones(3, 2)",
        "F.embedding(M.tensor([1]), w, padding_idx=3)",
        "embedding|padding",
        None,
    ),
    (
        "embedding-pad-neg-oor",
        "w = M.ones(3, 2)",
        "F.embedding(M.tensor([1]), w, padding_idx=-4)",
        "embedding|padding",
        None,
    ),
    ("embedding-w1d", "w = M.ones(3)", "F.embedding(M.tensor([1]), w)", "embedding", None),
    ("embedding-list-idx", "w = M.arange(6.0).reshape(3, 2)", "F.embedding([0, 2], w)", "embedding", None),
    ("one-hot-neg", "", "F.one_hot(M.tensor([-1, 0]))", "one_hot", None),
    ("one-hot-small", "", "F.one_hot(M.tensor([3, 0]), 2)", "one_hot", None),
    ("one-hot-float", "", "F.one_hot(M.tensor([1.0, 0.0]))", "one_hot", None),
    ("one-hot-int32", "", "F.one_hot(M.tensor([1, 0], dtype=M.int32))", "one_hot", None),
    ("one-hot-empty", "", "F.one_hot(M.zeros(0, dtype=M.int64))", "one_hot", None),
    ("one-hot-empty-n", "", "F.one_hot(M.zeros(0, dtype=M.int64), 3)", "", None),
    ("one-hot-zero-classes", "", "F.one_hot(M.tensor([0]), 0)", "one_hot", None),
    ("one-hot-bool", "", "F.one_hot(M.tensor([True, False]))", "one_hot", None),
    ("normalize-p0", "x = M.ones(2, 3)", "F.normalize(x, p=0)", "", None),
    ("normalize-neg-p", "x = M.ones(2, 3)", "F.normalize(x, p=-1)", "", None),
    ("normalize-int", "x = M.ones(2, 3, dtype=M.int64)", "F.normalize(x)", "normalize|norm", None),
    ("cosine-shapes", "a = M.ones(2, 3)\nb = M.ones(3, 2)", "F.cosine_similarity(a, b)", "cosine_similarity", None),
    ("cosine-1d-default", "a = M.ones(3)\nb = M.ones(3)", "F.cosine_similarity(a, b)", "cosine_similarity", None),
    ("cosine-zero", "a = M.zeros(2, 3)\nb = M.ones(2, 3)", "F.cosine_similarity(a, b)", "", None),
    ("dropout-p-big", "x = M.ones(3)", "F.dropout(x, 1.5)", "dropout", None),
    ("dropout-p-neg", "x = M.ones(3)", "F.dropout(x, -0.1)", "dropout", None),
    ("dropout-p1", "x = M.ones(3)", "F.dropout(x, 1.0)", "", None),
    ("dropout-p-big-eval", "x = M.ones(3)", "F.dropout(x, 1.5, training=False)", "dropout", None),
    ("prelu-weight", "x = M.ones(2, 3)\nw = M.ones(2)", "F.prelu(x, w)", "prelu", None),
    ("prelu-0d-weight", "x = M.ones(2, 3)\nw = M.tensor(0.25)", "F.prelu(x, w)", "", None),
    ("gelu-bad-approx", "x = M.ones(3)", "F.gelu(x, approximate='fast')", "gelu", None),
    ("softmax-no-dim", "x = M.ones(2, 3)", "F.softmax(x)", "", None),
    ("softmax-no-dim-3d", "x = M.arange(24.0).reshape(2, 3, 4)", "F.log_softmax(x)", "", None),
    ("softmax-dtype", "x = M.ones(2, 3)", "F.softmax(x, 1, dtype=M.float64)", "", None),
    ("leaky-relu-neg-slope", "x = M.tensor([-1.0, 2.0])", "F.leaky_relu(x, -0.5)", "", None),
    ("softplus-neg-beta", "x = M.tensor([-1.0, 2.0])", "F.softplus(x, beta=-1.0)", "", None),
    ("elu-neg-alpha", "x = M.tensor([-1.0, 2.0])", "F.elu(x, alpha=-1.0)", "", None),
    # autograd misuse
    ("bw-non-scalar", _grad_setup(), "(x * 2).backward()", "backward|scalar|grad", None),
    ("bw-twice", _grad_setup("y = (x.exp()).sum()\ny.backward()"), "y.backward()", "backward|graph|second", None),
    (
        "bw-twice-retained",
        _grad_setup("y = (x.exp()).sum()\ny.backward(retain_graph=True)"),
        "y.backward()",
        "",
        "x.grad",
    ),
    ("bw-no-grad", "x = M.ones(3)", "x.sum().backward()", "backward|grad", None),
    (
        "bw-under-no-grad",
        _grad_setup("with M.no_grad():\n    y = (x * 2).sum()"),
        "y.backward()",
        "backward|grad",
        None,
    ),
    ("bw-gradient-shape", _grad_setup(), "(x * 2).backward(M.ones(2))", "backward|shape|gradient", None),
    ("bw-gradient-ok", _grad_setup(), "(x * 2).backward(M.ones(3))", "", "x.grad"),
    ("bw-gradient-list", _grad_setup(), "(x * 2).backward([1.0, 1.0, 1.0])", "backward|gradient", None),
    ("bw-gradient-dtype", _grad_setup(), "(x * 2).backward(M.ones(3, dtype=M.float64))", "", "x.grad"),
    ("bw-gradient-int", _grad_setup(), "(x * 2).backward(M.ones(3, dtype=M.int64))", "", "x.grad"),
    ("bw-scalar-gradient", _grad_setup(), "(x * 2).sum().backward(M.tensor(2.0))", "", "x.grad"),
    ("bw-accumulates", _grad_setup("(x * x).sum().backward()"), "(x * 3).sum().backward()", "", "x.grad"),
    (
        "bw-inputs",
        _grad_setup("z = M.ones(3, requires_grad=True)"),
        "(x * z).sum().backward(inputs=[z])",
        "",
        "(x.grad, z.grad)",
    ),
    (
        "bw-inputs-unused",
        _grad_setup("z = M.ones(3, requires_grad=True)"),
        "(x * 2).sum().backward(inputs=[z])",
        "backward|inputs|grad",
        "z.grad",
    ),
    ("grad-unused", _grad_setup("z = M.ones(3, requires_grad=True)"), "GRAD((x * 2).sum(), [x, z])", "grad|used", None),
    (
        "grad-unused-allowed",
        _grad_setup("z = M.ones(3, requires_grad=True)"),
        "GRAD((x * 2).sum(), [x, z], allow_unused=True)",
        "",
        None,
    ),
    ("grad-input-no-grad", _grad_setup("z = M.ones(3)"), "GRAD((x * z).sum(), [z])", "grad|require", None),
    ("grad-non-scalar", _grad_setup(), "GRAD(x * 2, x)", "grad|scalar", None),
    ("grad-output-no-grad", "x = M.ones(3)", "GRAD(x.sum(), x)", "grad|require", None),
    ("grad-outputs-shape", _grad_setup(), "GRAD(x * 2, x, grad_outputs=M.ones(2))", "grad|shape", None),
    ("grad-outputs-ok", _grad_setup(), "GRAD(x * 2, x, grad_outputs=M.ones(3))", "", None),
    (
        "grad-outputs-count",
        _grad_setup(),
        "GRAD([x.sum(), (x * 2).sum()], x, grad_outputs=[M.tensor(1.0)])",
        "grad|outputs",
        None,
    ),
    ("grad-twice", _grad_setup("y = (x.exp()).sum()\nGRAD(y, x)"), "GRAD(y, x)", "grad|graph|second|backward", None),
    ("grad-list-outputs", _grad_setup(), "GRAD([x.sum(), (x * x).sum()], [x])", "", None),
    ("grad-tuple-inputs", _grad_setup("z = M.ones(3, requires_grad=True)"), "GRAD((x * z).sum(), (x, z))", "", None),
    ("grad-leaf-itself", _grad_setup(), "GRAD(x, x, grad_outputs=M.ones(3))", "", None),
    ("grad-int-input", "x = M.tensor([1, 2])", "GRAD(x.sum(), x)", "grad|require", None),
    ("inplace-leaf", _grad_setup(), "x.add_(1.0)", "leaf|in-place|add_", None),
    ("inplace-leaf-mul", _grad_setup(), "x *= 2", "leaf|in-place|mul_", None),
    ("inplace-leaf-view", _grad_setup(), "x[:2].mul_(2)", "leaf|in-place|view|mul_", None),
    ("inplace-leaf-nograd", _grad_setup(), "with M.no_grad():\n    x.add_(1.0)", "", "x"),
    (
        "inplace-saved-exp",
        _grad_setup("y = x.exp()\nz = y.sum()\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-mul",
        _grad_setup("y = x * 2\nz = (y * y).sum()\ny.mul_(3)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    ("inplace-not-saved-add", _grad_setup("y = x * 2\nz = (y + 1).sum()\ny.mul_(3)"), "z.backward()", "", "x.grad"),
    (
        "inplace-saved-sigmoid",
        _grad_setup("y = x.sigmoid()\nz = y.sum()\ny.mul_(2)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-tanh",
        _grad_setup("y = x.tanh()\nz = y.sum()\ny.zero_()"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-pow",
        _grad_setup("y = x * 1\nz = (y ** 2).sum()\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-mse",
        _grad_setup("y = x * 1\nz = F.mse_loss(y, M.zeros(3))\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-huber",
        _grad_setup("y = x * 1\nz = F.huber_loss(y, M.zeros(3))\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-norm",
        _grad_setup("y = x.norm()\nz = y * 1\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-amax",
        _grad_setup("y = x.amax()\nz = y * 1\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-softmax",
        _grad_setup("y = x.softmax(0)\nz = (y * M.arange(3.0)).sum()\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-relu",
        _grad_setup("y = x.relu()\nz = (y * M.arange(3.0)).sum()\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-div",
        _grad_setup("y = x * 1\nz = (1 / y).sum()\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    (
        "inplace-saved-matmul",
        _grad_setup("y = x * 1\nz = (y @ y)\ny.add_(1)"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    ("inplace-view-after", _grad_setup("y = x * 1\nv = y[:2]\ny.add_(1)"), "(v * 3).sum()", "", None),
    # changes PyTorch refuses to differentiate (a saved value changed), checked against the functional
    # equivalent where al differentiates them
    ("inplace-self-mul", _grad_setup("y = x * 1\ny.mul_(y)"), "(y * M.arange(3.0)).sum().backward()", "", "x.grad"),
    (
        "inplace-sigmoid-clamp",
        "x = M.tensor([[1.69, -1.84]], requires_grad=True)\ny = x.sigmoid()\ny.clamp_(-0.5, 0.4)",
        "y.sum().backward()",
        "",
        "x.grad",
    ),
    ("inplace-exp-div", _grad_setup("y = x.exp()\ny.div_(x)"), "y.sum().backward()", "", "x.grad"),
    ("inplace-rpow-mul", _grad_setup("y = 3 ** x\ny *= x"), "y.sum().backward()", "", "x.grad"),
    ("inplace-var-add", _grad_setup("y = x * 1\nz = y.var()\ny.add_(1)"), "(z + y.sum()).backward()", "", "x.grad"),
    (
        "inplace-multi-margin-add",
        _grad_setup("y = x[None] * 1\nz = F.multi_margin_loss(y, M.tensor([1]))\ny.add_(1)"),
        "z.backward()",
        "",
        "x.grad",
    ),
    (
        "inplace-logsumexp-mul",
        _grad_setup("y = x.logsumexp(0)\ny.mul_(2)"),
        "GRAD(y, x)",
        "",
        None,
    ),
    (
        "inplace-softmax-setitem",
        _grad_setup("y = x.softmax(0)\ny[0] = 0.5"),
        "(y * M.arange(3.0)).sum().backward()",
        "",
        "x.grad",
    ),
    ("retain-grad-no-grad", "x = M.ones(3)", "x.retain_grad()", "retain_grad", None),
    ("hook-no-grad", "x = M.ones(3)", "x.register_hook(lambda g: g)", "register_hook|hook", None),
    (
        "hook-wrong-shape",
        _grad_setup("h = x.register_hook(lambda g: M.ones(2))"),
        "(x * 2).sum().backward()",
        "hook|shape",
        "x.grad",
    ),
    ("hook-scales", _grad_setup("h = x.register_hook(lambda g: g * 2)"), "(x * 2).sum().backward()", "", "x.grad"),
    (
        "detach-inplace-then-backward",
        _grad_setup("y = x.exp()\nz = y.sum()\ny.detach().zero_()"),
        "z.backward()",
        "in-place|inplace|modified",
        None,
    ),
    ("nonleaf-grad-read", _grad_setup("y = x * 2\ny.sum().backward()"), "y.grad", "", None),
    ("set-grad-enabled", _grad_setup("with M.set_grad_enabled(False):\n    y = x * 2"), "y.requires_grad", "", None),
    (
        "enable-grad-inside",
        _grad_setup("with M.no_grad():\n    with M.enable_grad():\n        y = x * 2"),
        "y.requires_grad",
        "",
        None,
    ),
    # creation misuse
    ("zeros-neg", "", "M.zeros(-1)", "zeros|negative", None),
    ("ones-neg", "", "M.ones(2, -3)", "ones|negative", None),
    ("empty-neg", "", "M.empty(-2)", "empty|negative", None),
    ("full-neg", "", "M.full((-1,), 1.0)", "full|negative", None),
    ("arange-step0", "", "M.arange(0, 5, 0)", "arange|step", None),
    ("arange-wrong-sign", "", "M.arange(5, 0)", "arange|step|bound", None),
    ("arange-neg-step", "", "M.arange(0, 5, -1)", "arange|step|bound", None),
    ("arange-empty", "", "M.arange(0)", "", None),
    ("arange-float-int-dtype", "", "M.arange(0, 2.5, 0.5, dtype=M.int64)", "", None),
    ("arange-bool", "", "M.arange(3, dtype=M.bool)", "arange", None),
    ("linspace-neg", "", "M.linspace(0, 1, -1)", "linspace|steps", None),
    ("linspace-zero", "", "M.linspace(0, 1, 0)", "", None),
    ("linspace-int", "", "M.linspace(0, 10, 4, dtype=M.int64)", "", None),
    ("linspace-float-steps", "", "M.linspace(0, 1, 2.5)", "linspace|steps", None),
    ("eye-neg", "", "M.eye(-1)", "eye|negative", None),
    ("eye-neg-m", "", "M.eye(2, -1)", "eye|negative", None),
    ("eye-int", "", "M.eye(2, dtype=M.int64)", "", None),
    ("randint-low-high", "", "M.randint(5, 3, (2,))", "randint|high|low|range", None),
    ("randint-empty-range", "", "M.randint(0, 0, (2,))", "randint|high|low|range", None),
    ("randint-no-size", "", "M.randint(0, 5)", "randint|size", None),
    ("randperm-neg", "", "M.randperm(-1)", "randperm|negative", None),
    ("randn-neg", "", "M.randn(-1)", "randn|negative", None),
    ("rand-int-dtype", "", "M.rand(2, dtype=M.int64)", "rand|dtype|float", None),
    ("randn-int-dtype", "", "M.randn(2, dtype=M.int64)", "randn|dtype|float", None),
    ("zeros-float-size", "", "M.zeros(2.5)", "zeros", None),
    ("ones-tuple-and-int", "", "M.ones((2, 3), 4)", "ones", None),
    ("full-int-fill", "", "M.full((2,), 3)", "", None),
    ("full-bool-fill", "", "M.full((2,), True)", "", None),
    ("full-float-fill-int-dtype", "", "M.full((2,), 2.5, dtype=M.int64)", "", None),
    ("zeros-like-dtype", "x = M.ones(2)", "M.zeros_like(x, dtype=M.int64)", "", None),
    ("full-like-str", "x = M.ones(2)", "M.full_like(x, 'a')", "full_like", None),
    ("new-tensor-keeps-dtype", "x = M.ones(2, dtype=M.float64)", "x.new_tensor([1, 2])", "", None),
    ("new-full-int", "x = M.ones(2)", "x.new_full((2,), 3)", "", None),
    ("tensor-copy-of-tensor", "x = M.ones(2)", "M.tensor(x)", "", None),
    ("as-tensor-list", "", "M.as_tensor([1, 2.5])", "", None),
    ("from-numpy-list", "", "M.from_numpy([1.0, 2.0])", "from_numpy", None),
    ("from-numpy-object", "", "M.from_numpy(np.array([1, None], dtype=object))", "from_numpy", None),
    ("device-cpu", "", "M.ones(2, device='cpu')", "", None),
    ("to-cpu", "x = M.ones(2)", "x.to('cpu')", "", None),
    ("to-bad-string", "x = M.ones(2)", "x.to('float32')", "to", None),
    ("to-bad-dtype", "x = M.ones(2)", "x.to(3)", "to", None),
    ("type-str", "x = M.ones(2)", "x.type('torch.DoubleTensor')", "", None),
    # losses: options and targets
    ("ce-target-oor", "x = M.zeros(2, 3)", "F.cross_entropy(x, M.tensor([3, 0]))", "cross_entropy|target|bound", None),
    ("ce-target-neg", "x = M.zeros(2, 3)", "F.cross_entropy(x, M.tensor([-1, 0]))", "cross_entropy|target|bound", None),
    (
        "ce-target-neg-ignored",
        "x = M.arange(6.0).reshape(2, 3)",
        "F.cross_entropy(x, M.tensor([-1, 0]), ignore_index=-1)",
        "",
        None,
    ),
    ("ce-all-ignored", "x = M.arange(6.0).reshape(2, 3)", "F.cross_entropy(x, M.tensor([-100, -100]))", "", None),
    (
        "ce-all-ignored-sum",
        "x = M.arange(6.0).reshape(2, 3)",
        "F.cross_entropy(x, M.tensor([-100, -100]), reduction='sum')",
        "",
        None,
    ),
    (
        "ce-target-float-index-shape",
        "x = M.zeros(2, 3)",
        "F.cross_entropy(x, M.tensor([1.0, 0.0]))",
        "cross_entropy",
        None,
    ),
    (
        "ce-target-int32",
        "x = M.arange(6.0).reshape(2, 3)",
        "F.cross_entropy(x, M.tensor([1, 0], dtype=M.int32))",
        "",
        None,
    ),
    (
        "ce-target-uint8",
        "x = M.arange(6.0).reshape(2, 3)",
        "F.cross_entropy(x, M.tensor([1, 0], dtype=M.uint8))",
        "",
        None,
    ),
    (
        "ce-target-shape",
        "x = M.zeros(2, 3)",
        "F.cross_entropy(x, M.tensor([1, 0, 2]))",
        "cross_entropy|shape|batch",
        None,
    ),
    (
        "ce-target-2d-index",
        "x = M.zeros(2, 3)",
        "F.cross_entropy(x, M.tensor([[1], [0]]))",
        "cross_entropy|shape",
        None,
    ),
    ("ce-prob-shape", "x = M.zeros(2, 3)", "F.cross_entropy(x, M.ones(2, 2) / 2)", "cross_entropy|shape", None),
    (
        "ce-prob-f64",
        "x = M.arange(6.0).reshape(2, 3)",
        "F.cross_entropy(x, M.ones(2, 3, dtype=M.float64) / 3)",
        "cross_entropy",
        None,
    ),
    (
        "ce-prob-ignore",
        "x = M.arange(6.0).reshape(2, 3)",
        "F.cross_entropy(x, M.ones(2, 3) / 3, ignore_index=1)",
        "",
        None,
    ),
    (
        "ce-weight-shape",
        "x = M.zeros(2, 3)",
        "F.cross_entropy(x, M.tensor([1, 0]), weight=M.ones(2))",
        "cross_entropy|weight",
        None,
    ),
    (
        "ce-weight-f64",
        "x = M.zeros(2, 3)",
        "F.cross_entropy(x, M.tensor([1, 0]), weight=M.ones(3, dtype=M.float64))",
        "cross_entropy|weight|dtype",
        None,
    ),
    (
        "ce-smoothing-big",
        "x = M.zeros(2, 3)",
        "F.cross_entropy(x, M.tensor([1, 0]), label_smoothing=1.5)",
        "cross_entropy|label_smoothing",
        None,
    ),
    (
        "ce-smoothing-neg",
        "x = M.zeros(2, 3)",
        "F.cross_entropy(x, M.tensor([1, 0]), label_smoothing=-0.1)",
        "cross_entropy|label_smoothing",
        None,
    ),
    (
        "ce-reduction",
        "x = M.zeros(2, 3)",
        "F.cross_entropy(x, M.tensor([1, 0]), reduction='avg')",
        "cross_entropy|reduction",
        None,
    ),
    ("ce-int-input", "x = M.zeros(2, 3, dtype=M.int64)", "F.cross_entropy(x, M.tensor([1, 0]))", "cross_entropy", None),
    ("ce-0d-input", "x = M.tensor(1.0)", "F.cross_entropy(x, M.tensor(0))", "cross_entropy", None),
    ("ce-1d-input", "x = M.arange(3.0)", "F.cross_entropy(x, M.tensor(2))", "", None),
    ("ce-1d-input-1d-target", "x = M.arange(3.0)", "F.cross_entropy(x, M.tensor([2]))", "cross_entropy", None),
    ("ce-empty-batch", "x = M.zeros(0, 3)", "F.cross_entropy(x, M.zeros(0, dtype=M.int64))", "", None),
    (
        "ce-empty-batch-sum",
        "x = M.zeros(0, 3)",
        "F.cross_entropy(x, M.zeros(0, dtype=M.int64), reduction='sum')",
        "",
        None,
    ),
    ("ce-list-target", "x = M.arange(6.0).reshape(2, 3)", "F.cross_entropy(x, [1, 0])", "cross_entropy", None),
    ("nll-target-oor", "x = M.zeros(2, 3)", "F.nll_loss(x, M.tensor([3, 0]))", "nll_loss|target|bound", None),
    ("nll-target-float", "x = M.zeros(2, 3)", "F.nll_loss(x, M.tensor([1.0, 0.0]))", "nll_loss", None),
    ("nll-target-int32", "x = M.arange(6.0).reshape(2, 3)", "F.nll_loss(x, M.tensor([1, 0], dtype=M.int32))", "", None),
    (
        "nll-weight-shape",
        "x = M.zeros(2, 3)",
        "F.nll_loss(x, M.tensor([1, 0]), weight=M.ones(4))",
        "nll_loss|weight",
        None,
    ),
    (
        "nll-reduction",
        "x = M.zeros(2, 3)",
        "F.nll_loss(x, M.tensor([1, 0]), reduction='avg')",
        "nll_loss|reduction",
        None,
    ),
    ("nll-0d-input", "x = M.tensor(1.0)", "F.nll_loss(x, M.tensor(0))", "nll_loss", None),
    ("nll-all-ignored", "x = M.arange(6.0).reshape(2, 3)", "F.nll_loss(x, M.tensor([1, 1]), ignore_index=1)", "", None),
    (
        "nll-3d-target-shape",
        "x = M.zeros(2, 3, 4)",
        "F.nll_loss(x, M.zeros(2, 5, dtype=M.int64))",
        "nll_loss|shape",
        None,
    ),
    (
        "mm-loss-target-oor",
        "x = M.zeros(2, 3)",
        "F.multi_margin_loss(x, M.tensor([3, 0]))",
        "multi_margin_loss|target",
        None,
    ),
    ("mm-loss-p3", "x = M.zeros(2, 3)", "F.multi_margin_loss(x, M.tensor([1, 0]), p=3)", "multi_margin_loss|p", None),
    (
        "mm-loss-target-shape",
        "x = M.zeros(2, 3)",
        "F.multi_margin_loss(x, M.tensor([1, 0, 1]))",
        "multi_margin_loss|target|shape",
        None,
    ),
    ("mm-loss-3d", "x = M.zeros(2, 3, 4)", "F.multi_margin_loss(x, M.tensor([1, 0]))", "multi_margin_loss", None),
    (
        "mm-loss-weight-shape",
        "x = M.zeros(2, 3)",
        "F.multi_margin_loss(x, M.tensor([1, 0]), weight=M.ones(2))",
        "multi_margin_loss|weight",
        None,
    ),
    (
        "mm-loss-float-target",
        "x = M.zeros(2, 3)",
        "F.multi_margin_loss(x, M.tensor([1.0, 0.0]))",
        "multi_margin_loss",
        None,
    ),
    (
        "bce-input-oor",
        "x = M.tensor([0.5, 1.5])",
        "F.binary_cross_entropy(x, M.tensor([0.0, 1.0]))",
        "binary_cross_entropy|between",
        None,
    ),
    (
        "bce-input-neg",
        "x = M.tensor([-0.5, 0.5])",
        "F.binary_cross_entropy(x, M.tensor([0.0, 1.0]))",
        "binary_cross_entropy|between",
        None,
    ),
    ("bce-input-nan", "x = M.tensor([math.nan, 0.5])", "F.binary_cross_entropy(x, M.tensor([0.0, 1.0]))", "", None),
    (
        "bce-target-shape",
        "x = M.tensor([0.5, 0.5])",
        "F.binary_cross_entropy(x, M.tensor([[0.0, 1.0]]))",
        "binary_cross_entropy|size|shape",
        None,
    ),
    ("bce-target-oor", "x = M.tensor([0.25, 0.5])", "F.binary_cross_entropy(x, M.tensor([2.0, -1.0]))", "", None),
    ("bce-edges", "x = M.tensor([0.0, 1.0])", "F.binary_cross_entropy(x, M.tensor([1.0, 0.0]))", "", None),
    (
        "bce-target-int",
        "x = M.tensor([0.25, 0.5])",
        "F.binary_cross_entropy(x, M.tensor([1, 0]))",
        "binary_cross_entropy",
        None,
    ),
    (
        "bce-target-f64",
        "x = M.tensor([0.25, 0.5])",
        "F.binary_cross_entropy(x, M.tensor([1.0, 0.0], dtype=M.float64))",
        "binary_cross_entropy",
        None,
    ),
    (
        "bce-weight-shape",
        "x = M.tensor([0.25, 0.5])",
        "F.binary_cross_entropy(x, M.tensor([1.0, 0.0]), weight=M.ones(3))",
        "binary_cross_entropy|weight|shape|broadcast",
        None,
    ),
    (
        "bce-reduction",
        "x = M.tensor([0.25, 0.5])",
        "F.binary_cross_entropy(x, M.tensor([1.0, 0.0]), reduction='x')",
        "binary_cross_entropy|reduction",
        None,
    ),
    (
        "bcel-target-shape",
        "x = M.tensor([0.5, 0.5])",
        "F.binary_cross_entropy_with_logits(x, M.tensor([[0.0, 1.0]]))",
        "binary_cross_entropy_with_logits|size|shape",
        None,
    ),
    (
        "bcel-pos-weight-shape",
        "x = M.zeros(2, 3)",
        "F.binary_cross_entropy_with_logits(x, M.ones(2, 3), pos_weight=M.ones(2))",
        "binary_cross_entropy_with_logits|pos_weight|shape|broadcast",
        None,
    ),
    (
        "bcel-target-int",
        "x = M.zeros(2)",
        "F.binary_cross_entropy_with_logits(x, M.tensor([1, 0]))",
        "binary_cross_entropy_with_logits",
        None,
    ),
    (
        "bcel-target-f64",
        "x = M.tensor([0.25, -0.5])",
        "F.binary_cross_entropy_with_logits(x, M.tensor([1.0, 0.0], dtype=M.float64))",
        "",
        None,
    ),
    ("mse-shape", "x = M.ones(2, 3)", "F.mse_loss(x, M.ones(3, 2))", "mse_loss|shape|size", None),
    ("mse-target-int", "x = M.ones(2)", "F.mse_loss(x, M.tensor([1, 0]))", "mse_loss", None),
    ("mse-target-f64", "x = M.tensor([1.0, 2.0])", "F.mse_loss(x, M.tensor([1.0, 0.0], dtype=M.float64))", "", None),
    ("mse-reduction", "x = M.ones(2)", "F.mse_loss(x, M.ones(2), reduction='avg')", "mse_loss|reduction", None),
    ("mse-int-input", "x = M.ones(2, dtype=M.int64)", "F.mse_loss(x, M.ones(2, dtype=M.int64))", "mse_loss", None),
    ("mse-list-target", "x = M.ones(2)", "F.mse_loss(x, [1.0, 2.0])", "mse_loss", None),
    ("l1-shape", "x = M.ones(2, 3)", "F.l1_loss(x, M.ones(3, 2))", "l1_loss|shape|size", None),
    ("huber-neg-delta", "x = M.ones(2)", "F.huber_loss(x, M.zeros(2), delta=-1.0)", "huber_loss|delta", None),
    ("huber-zero-delta", "x = M.ones(2)", "F.huber_loss(x, M.zeros(2), delta=0.0)", "huber_loss|delta", None),
    ("smooth-l1-neg-beta", "x = M.ones(2)", "F.smooth_l1_loss(x, M.zeros(2), beta=-1.0)", "smooth_l1_loss|beta", None),
    ("smooth-l1-zero-beta", "x = M.tensor([1.0, -2.0])", "F.smooth_l1_loss(x, M.zeros(2), beta=0.0)", "", None),
]

LOSSES = {
    "mse_loss": (
        "x = M.tensor([[0.25, 0.5], [0.75, 0.1]])",
        "t = M.tensor([[0.5, 0.5], [1.0, 0.0]])",
        "F.mse_loss(x, t{o})",
    ),
    "l1_loss": (
        "x = M.tensor([[0.25, 0.5], [0.75, 0.1]])",
        "t = M.tensor([[0.5, 0.5], [1.0, 0.0]])",
        "F.l1_loss(x, t{o})",
    ),
    "huber_loss": (
        "x = M.tensor([[0.25, 0.5], [0.75, 0.1]])",
        "t = M.tensor([[0.5, 0.5], [1.0, 0.0]])",
        "F.huber_loss(x, t{o})",
    ),
    "smooth_l1_loss": (
        "x = M.tensor([[0.25, 0.5], [0.75, 0.1]])",
        "t = M.tensor([[0.5, 0.5], [1.0, 0.0]])",
        "F.smooth_l1_loss(x, t{o})",
    ),
    "cross_entropy": ("x = M.tensor([[0.25, 0.5], [0.75, 0.1]])", "t = M.tensor([1, 0])", "F.cross_entropy(x, t{o})"),
    "nll_loss": ("x = M.tensor([[0.25, 0.5], [0.75, 0.1]])", "t = M.tensor([1, 0])", "F.nll_loss(x, t{o})"),
    "binary_cross_entropy": (
        "x = M.tensor([[0.25, 0.5], [0.75, 0.1]])",
        "t = M.tensor([[0.5, 0.5], [1.0, 0.0]])",
        "F.binary_cross_entropy(x, t{o})",
    ),
    "binary_cross_entropy_with_logits": (
        "x = M.tensor([[0.25, 0.5], [0.75, 0.1]])",
        "t = M.tensor([[0.5, 0.5], [1.0, 0.0]])",
        "F.binary_cross_entropy_with_logits(x, t{o})",
    ),
    "multi_margin_loss": (
        "x = M.tensor([[0.25, 0.5], [0.75, 0.1]])",
        "t = M.tensor([1, 0])",
        "F.multi_margin_loss(x, t{o})",
    ),
}


def loss_cases() -> list[Case]:
    """Every loss times every reduction (valid and not), and the legacy size_average/reduce flags."""
    out = []
    for name, (sx, st, call) in LOSSES.items():
        for red in ("'mean'", "'sum'", "'none'", "'avg'", "'elementwise_mean'", "None", "'MEAN'", "1"):
            out.append(
                Case(
                    f"loss-{name}-reduction-{red.strip(chr(39))}",
                    f"{sx}\n{st}",
                    call.format(o=f", reduction={red}"),
                    f"{name}|reduction",
                    "losses",
                )
            )
        for flag in ("size_average=False", "reduce=False"):
            out.append(Case(f"loss-{name}-{flag}", f"{sx}\n{st}", call.format(o=f", {flag}"), "", "losses"))
    return out


def hand_cases() -> list[Case]:
    return [Case(i, s, c, op, "hand", after=after) for i, s, c, op, after in HAND]


# ================================================================ seeded random cases
def random_cases(n: int, seed: int = 20250101) -> list[Case]:
    """Shapes that may not broadcast, dims and indices that may be out of range, views that may be impossible."""
    rng = np.random.default_rng(seed)
    out = []

    def shape() -> tuple[int, ...]:
        return tuple(int(s) for s in rng.integers(0, 4, int(rng.integers(0, 4))))

    def mk(name: str, s: tuple[int, ...]) -> str:
        return f"{name} = (M.arange({int(np.prod(s))}, dtype=M.float32) / 3 - 1).reshape({s})"

    for k in range(n):
        kind = k % 5
        a, b = shape(), shape()
        if kind == 0:
            op = [
                "a + b",
                "a * b",
                "M.maximum(a, b)",
                "M.where(a > 0, a, b)",
                "a @ b",
                "M.cat([a, b], -1)",
                "M.stack([a, b])",
                "F.mse_loss(a, b)" if a == b else "a - b",
                "F.cosine_similarity(a, b, -1)",
                "a / (b * b + 1)",
            ][int(rng.integers(10))]
            out.append(Case(f"random-binary-{k}", f"{mk('a', a)}\n{mk('b', b)}", op, "", "random"))
        elif kind == 1:
            d = int(rng.integers(-5, 5))
            op = [
                "x.sum({d})",
                "x.softmax({d})",
                "x.max({d})",
                "x.cumsum({d})",
                "x.unsqueeze({d})",
                "x.flip({d})",
                "x.var({d})",
                "x.topk(2, {d})",
                "x.narrow({d}, 1, 1)",
                "x.split(2, {d})",
            ][int(rng.integers(10))]
            out.append(Case(f"random-dim-{k}", mk("x", a), op.format(d=d), "", "random"))
        elif kind == 2:
            idx = []
            for s in a:
                c = int(rng.integers(5))
                idx.append(
                    [
                        str(int(rng.integers(-s - 1, s + 2))),
                        ":",
                        f"[{int(rng.integers(-s - 1, s + 2))}, 0]",
                        "None",
                        "...",
                    ][c]
                )
            out.append(Case(f"random-index-{k}", mk("x", a), f"x[{', '.join(idx) or '...'}]", "", "random"))
        elif kind == 3:
            t = tuple(int(v) for v in rng.integers(-1, 4, int(rng.integers(0, 4))))
            op = [
                "x.reshape({t})",
                "x.view({t})",
                "x.expand({t})",
                "x.permute({t})",
                "x.repeat({t})",
                "x.t().reshape({t})" if len(a) == 2 else "x.flatten().view({t})",
            ][int(rng.integers(6))]
            out.append(Case(f"random-shape-{k}", mk("x", a), op.format(t=t), "", "random"))
        else:
            dt = DTYPES[int(rng.integers(len(DTYPES)))]
            dt2 = DTYPES[int(rng.integers(len(DTYPES)))]
            op = [
                "a + b",
                "a * b",
                "a / b",
                "a @ b.mT" if len(a) >= 2 and len(b) >= 2 else "a - b",
                "M.cat([a, b])",
                "M.where(a > 0, a, b)",
                "a ** b",
                "M.maximum(a, b)",
            ][int(rng.integers(8))]
            out.append(
                Case(
                    f"random-dtype-{k}",
                    f"a = M.ones({a}, dtype=M.{dt})\nb = M.ones({b}, dtype=M.{dt2})",
                    op,
                    "",
                    "random",
                )
            )
    return out


_FUNCS = {  # module-level functions that PyTorch only takes Tensors for: name -> call with {a}
    "exp": "M.exp({a})",
    "log": "M.log({a})",
    "sum": "M.sum({a})",
    "mean": "M.mean({a})",
    "abs": "M.abs({a})",
    "softmax": "M.softmax({a}, 0)",
    "relu": "M.relu({a})",
    "sigmoid": "M.sigmoid({a})",
    "tanh": "M.tanh({a})",
    "cat": "M.cat([{a}, {a}])",
    "stack": "M.stack([{a}, {a}])",
    "where": "M.where(M.tensor([True, False]), {a}, 0.0)",
    "maximum": "M.maximum(M.ones(2), {a})",
    "matmul": "M.matmul(M.ones(2), {a})",
    "gather": "M.gather({a}, 0, M.tensor([0]))",
    "flatten": "M.flatten({a})",
    "clamp": "M.clamp({a}, 0, 1)",
    "cumsum": "M.cumsum({a}, 0)",
    "sort": "M.sort({a})",
    "F.relu": "F.relu({a})",
    "F.softmax": "F.softmax({a}, 0)",
    "F.mse_loss": "F.mse_loss({a}, M.ones(2))",
    "F.mse_loss_target": "F.mse_loss(M.ones(2), {a})",
    "F.linear": "F.linear({a}, M.ones(3, 2))",
    "F.pad": "F.pad({a}, (1, 1))",
    "F.normalize": "F.normalize({a}, dim=0)",
    "F.gelu": "F.gelu({a})",
}


def nontensor_cases() -> list[Case]:
    """Every function that PyTorch only takes Tensors for, given a list, an array and a number."""
    out = []
    for name, call in _FUNCS.items():
        for kind, arg in (
            ("list", "[0.5, 2.0]"),
            ("ndarray", "np.array([0.5, 2.0], dtype=np.float32)"),
            ("number", "2.0"),
        ):
            op = name.removeprefix("F.").removesuffix("_target")
            out.append(Case(f"nontensor-{name}-{kind}", "", call.format(a=arg), op, "non-tensor"))
    return out


_CLASS_LOSSES = {
    "cross_entropy": ("x = M.arange(6.0).reshape(2, 3) / 5", "F.cross_entropy(x, {t})"),
    "cross_entropy_ignore1": ("x = M.arange(6.0).reshape(2, 3) / 5", "F.cross_entropy(x, {t}, ignore_index=1)"),
    "cross_entropy_smooth": ("x = M.arange(6.0).reshape(2, 3) / 5", "F.cross_entropy(x, {t}, label_smoothing=0.2)"),
    "nll_loss": ("x = M.arange(6.0).reshape(2, 3) / 5", "F.nll_loss(x, {t})"),
    "nll_loss_weight": ("x = M.arange(6.0).reshape(2, 3) / 5", "F.nll_loss(x, {t}, weight=M.tensor([1.0, 2.0, 0.5]))"),
    "multi_margin_loss": ("x = M.arange(6.0).reshape(2, 3) / 5", "F.multi_margin_loss(x, {t})"),
    "one_hot": ("", "F.one_hot({t}, 3)"),
    "embedding": ("w = M.arange(6.0).reshape(3, 2)", "F.embedding({t}, w)"),
    "gather": ("x = M.arange(6.0).reshape(2, 3) / 5", "x.gather(1, {t}[:, None])"),
    "index_select": ("x = M.arange(6.0).reshape(2, 3) / 5", "x.index_select(1, {t})"),
    "getitem": ("x = M.arange(6.0).reshape(2, 3) / 5", "x[:, {t}]"),
}
_TARGETS = {
    "ok": "M.tensor([2, 0])",
    "neg": "M.tensor([-1, 0])",
    "C": "M.tensor([3, 0])",
    "big": "M.tensor([7, 0])",
    "default-ignore": "M.tensor([-100, 1])",
    "int32": "M.tensor([2, 0], dtype=M.int32)",
    "uint8": "M.tensor([2, 0], dtype=M.uint8)",
    "int16": "M.tensor([2, 0], dtype=M.int16)",
    "bool": "M.tensor([True, False])",
    "float": "M.tensor([2.0, 0.0])",
    "2d": "M.tensor([[2, 0]])",
    "0d": "M.tensor(2)",
    "empty": "M.zeros(0, dtype=M.int64)",
}
_REG_LOSSES = (
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
)
_REG_TARGETS = {
    "f32": "M.tensor([[0.5, 0.0], [1.0, 0.25]])",
    "f64": "M.tensor([[0.5, 0.0], [1.0, 0.25]], dtype=M.float64)",
    "f16": "M.tensor([[0.5, 0.0], [1.0, 0.25]], dtype=M.float16)",
    "int": "M.tensor([[1, 0], [1, 0]])",
    "bool": "M.tensor([[True, False], [True, False]])",
    "shape": "M.tensor([0.5, 0.0, 1.0, 0.25])",
    "bcast": "M.tensor([0.5, 0.25])",
    "bcast-col": "M.tensor([[0.5], [0.25]])",
    "bcast-up": "M.tensor([[[0.5, 0.0], [1.0, 0.25]], [[0.0, 0.5], [0.25, 1.0]]])",
    "0d": "M.tensor(0.5)",
    "0d-f64": "M.tensor(0.5, dtype=M.float64)",
    "bcast-f64": "M.tensor([0.5, 0.25], dtype=M.float64)",
}


def target_cases() -> list[Case]:
    """Class targets (values and dtypes) for every loss and op that takes indices; regression targets' dtypes."""
    out = []
    for name, (setup, call) in _CLASS_LOSSES.items():
        for tname, t in _TARGETS.items():
            op = name.removesuffix("_ignore1").removesuffix("_smooth").removesuffix("_weight")
            out.append(Case(f"target-{name}-{tname}", setup, call.format(t=t), f"{op}|target|index", "targets"))
    for name in _REG_LOSSES:
        for xname, xdt in (("f32", "float32"), ("f64", "float64")):
            for tname, t in _REG_TARGETS.items():
                out.append(
                    Case(
                        f"target-{name}-{xname}-{tname}",
                        f"x = M.tensor([[0.25, 0.5], [0.75, 0.125]], dtype=M.{xdt})",
                        f"F.{name}(x, {t})",
                        name,
                        "targets",
                    )
                )
    return out


def all_cases(scale: float = 1.0) -> list[Case]:
    cases = dim_cases() + dtype_cases() + unary_cases() + hand_cases() + loss_cases() + nontensor_cases()
    cases += target_cases()
    cases += random_cases(max(1, round(300 * scale)))
    seen: set[str] = set()
    out = []
    for c in cases:
        if c.id in seen:
            continue
        seen.add(c.id)
        out.append(c)
    return out
