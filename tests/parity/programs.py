"""Seeded random programs built from the catalogue, run in both libraries and compared.

A program is 3-12 calls from the catalogue, drawn with a seed; later calls read earlier values
(a value used twice makes a diamond), in float64 or float32 (casts make mixed programs). It is
built against PyTorch (the oracle decides what is valid and keeps inputs away from kinks), so the
same seed gives the same program whatever state autograd_lite is in. Then both libraries run it:
every value's type, shape, dtype, requires_grad and entries are compared, then the gradient of a
weighted sum of its unused float values with respect to every float leaf (`GRAD` or `backward`),
then a second derivative (the gradient of a weighted sum of those gradients, made with
create_graph=True). A failing program is cut down to the single call that fails on its own, when
there is one, and printed as a short standalone script that runs both libraries.

In-place ops: where PyTorch refuses the backward because a value an op saved was changed in place
later, and autograd_lite returns (README, "Where it differs from PyTorch"), autograd_lite's
derivatives must be PyTorch's for the functional equivalent of the program: each in-place op applied
to a `.clone()` of its tensor, the name bound to that clone afterwards (`core.functional_equivalent`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import core
from .catalogue import CATALOGUE, MAX_ABS, MAX_NUMEL, Ctx, Emit, OpSpec, Val

DTYPES = ("float64", "float32")
DEFAULT_PER_DTYPE = 200


def scale() -> float:
    """PARITY_SCALE=10 runs ten times as many programs and misuse cases."""
    try:
        return max(float(os.environ.get("PARITY_SCALE", "1")), 0.01)
    except ValueError:
        return 1.0


def program_ids() -> list[str]:
    n = max(1, round(DEFAULT_PER_DTYPE * scale()))
    return [f"{dt}-{i:05d}" for i in range(n) for dt in DTYPES]


def parse_id(pid: str) -> tuple[str, int]:
    dt, _, n = pid.partition("-")
    return dt, int(n)


# ---------------------------------------------------------------- programs
@dataclass
class Line:
    al: str
    torch: str
    op: str  # catalogue name, "leaf" or "const"
    reads: list[str]
    outs: list[str]
    mutates: str | None = None
    helpers: frozenset[str] = frozenset()
    opaque: bool = False

    def code(self, lib: str) -> str:
        return self.al if lib == "al" else self.torch


@dataclass
class Program:
    name: str
    dtype: str
    lines: list[Line]
    leaves: list[str] = field(default_factory=list)
    sinks: list[str] = field(default_factory=list)
    grad_mode: str = "grad"
    second: bool = True
    has_inplace: bool = False

    def grad_lines(self) -> list[tuple[str, str]]:
        """(phase, code): the loss, first derivatives, second derivatives."""
        if not self.sinks or not self.leaves:
            return []
        loss = " + ".join(f"(W({s}, {k}) * {s}).sum()" for k, s in enumerate(self.sinks))
        leaves = "[" + ", ".join(self.leaves) + "]"
        out = [("loss", f"loss = {loss}")]
        if self.grad_mode == "grad":
            out.append(("grad", f"g = GRAD(loss, {leaves}, retain_graph=True, allow_unused=True)"))
        elif self.grad_mode == "vjp":  # several outputs, each with its grad_outputs: the same gradient
            outs = "[" + ", ".join(self.sinks) + "]"
            seeds = "[" + ", ".join(f"W({s}, {k})" for k, s in enumerate(self.sinks)) + "]"
            out.append(
                ("grad", f"g = GRAD({outs}, {leaves}, grad_outputs={seeds}, retain_graph=True, allow_unused=True)")
            )
        else:
            out.append(("grad", "loss.backward(retain_graph=True)"))
            out.append(("grad", "g = [" + ", ".join(f"{v}.grad" for v in self.leaves) + "]"))
        if self.second:
            out.append(("grad2", f"gg = GRAD(loss, {leaves}, create_graph=True, allow_unused=True)"))
            out.append(("grad2", "s = sum((W(x, 10 + i) * x).sum() for i, x in enumerate(gg) if x is not None)"))
            out.append(
                (
                    "grad2",
                    f"h = GRAD(s, {leaves}, allow_unused=True) "
                    f"if isinstance(s, M.Tensor) and s.requires_grad else None",
                )
            )
        return out


class Builder:
    """Grows a program line by line, running each line in PyTorch as it goes."""

    def __init__(self, name: str, dtype: str) -> None:
        self.name = name
        self.dtype = dtype
        self.ns = core.namespace("torch")
        self.pool: list[Val] = []
        self.lines: list[Line] = []
        self.count = 0
        self.errors: list[str] = []  # generator calls torch refused (catalogue bugs, for debugging)

    def _name(self) -> str:
        self.count += 1
        return f"v{self.count - 1}"

    def checkpoint(self) -> tuple[int, int, int]:
        return len(self.lines), len(self.pool), self.count

    def rollback(self, cp: tuple[int, int, int]) -> None:
        for ln in self.lines[cp[0] :]:
            for o in ln.outs:
                self.ns.pop(o, None)
        del self.lines[cp[0] :]
        del self.pool[cp[1] :]
        self.count = cp[2]

    def drop_last(self) -> None:
        self.rollback((len(self.lines) - 1, len(self.pool) - 1, self.count - 1))

    def add_leaf(self, vals: np.ndarray, dtype: str, requires_grad: bool) -> Val:
        name = self._name()
        code = f"{name} = {core.tensor_literal(vals.astype(dtype), requires_grad)}"
        core.run_code(code, self.ns)
        self.lines.append(Line(code, code, "leaf", [], [name]))
        v = Val(name, self.ns[name], leaf=requires_grad)
        self.pool.append(v)
        return v

    def add_const(self, expr: str, private: bool) -> Val:
        name = self._name()
        code = f"{name} = {expr}"
        out = core.run_code(code, self.ns)
        if out.raised:
            raise RuntimeError(f"const {expr!r}: {out.describe_error()}")
        self.lines.append(Line(code, code, "const", [], [name]))
        v = Val(name, self.ns[name], private=private)
        self.pool.append(v)
        return v

    def try_line(self, spec: OpSpec, e: Emit) -> bool:
        """Run the call in torch; keep it if torch accepts it and the results are well conditioned."""
        torch = core.torch_module()
        t_code = e.torch if e.torch is not None else e.al
        if e.statement:
            target = e.mutates
            assert target is not None
            scratch = dict(self.ns)
            scratch[target.name] = target.t.clone()
            out = core.run_code(t_code, scratch)
            if out.raised:
                self.errors.append(f"{spec.name}: {t_code}: {out.describe_error()}")
                return False
            results = [scratch[target.name]]
        else:
            scratch = self.ns
            if e.mutates is not None:
                scratch = dict(self.ns)
                scratch[e.mutates.name] = e.mutates.t.clone()
            out = core.run_code(t_code, scratch, expression=True)
            if out.raised:
                self.errors.append(f"{spec.name}: {t_code}: {out.describe_error()}")
                return False
            results = [out.value]
        value = results[0]
        if isinstance(value, (tuple, list)) and not isinstance(value, torch.Size):
            results = list(value)
            if not results or len(results) > 6 or not all(isinstance(r, torch.Tensor) for r in results):
                return False
        for r in results:
            if isinstance(r, torch.Tensor):
                if r.numel() > MAX_NUMEL:
                    return False
                if r.is_floating_point() and not e.opaque:
                    a = r.detach().double().numpy()
                    if not np.all(np.isfinite(a)) or (a.size and np.abs(a).max() > MAX_ABS):
                        return False
        if e.check is not None and not e.check(results):
            return False
        # accepted: run it for real (in place ops change the pool's tensors) and name the results
        if e.statement:
            core.run_code(t_code, self.ns)
            outs: list[str] = []
        else:
            outs = [self._name() for _ in results]
            lhs = ", ".join(outs) + ("," if len(outs) == 1 and isinstance(value, (tuple, list)) else "")
            if e.mutates is not None:
                run = core.run_code(f"{lhs} = {t_code}", self.ns)
                assert not run.raised, run.describe_error()
            else:
                self.ns.update(zip(outs, results))
        al_code = e.al if e.statement else f"{lhs} = {e.al}"
        tc = t_code if e.statement else f"{lhs} = {t_code}"
        self.lines.append(
            Line(
                al_code,
                tc,
                spec.name,
                [v.name for v in e.reads],
                outs,
                e.mutates.name if e.mutates is not None else None,
                e.helpers,
                e.opaque,
            )
        )
        for v in e.reads:
            v.uses += 1
        if e.mutates is not None:
            e.mutates.uses = 0  # its new value is not used yet
        for o in outs:
            self.pool.append(Val(o, self.ns[o], opaque=e.opaque or not isinstance(self.ns[o], torch.Tensor)))
        return True


def _weights() -> np.ndarray:
    w = np.array([s.weight for s in CATALOGUE])
    return w / w.sum()


def generate(pid: str, focus: OpSpec | None = None) -> Program:
    """The program with this id (e.g. "float32-00017"): the same for the same id, always."""
    dtype, n = parse_id(pid)
    if focus is None:
        focus = CATALOGUE[n % len(CATALOGUE)]
    for attempt in range(30):
        rng = np.random.default_rng([n, attempt, DTYPES.index(dtype) if dtype in DTYPES else 7])
        prog = _attempt(pid, dtype, rng, focus)
        if prog is not None:
            return prog
    raise RuntimeError(f"could not generate program {pid} (focus {focus.name})")


def _attempt(pid: str, dtype: str, rng: np.random.Generator, focus: OpSpec) -> Program | None:
    b = Builder(pid, dtype)
    ctx = Ctx(rng, dtype, b, edgy=int(pid.rpartition("-")[2]) % 4 == 3)
    ctx.leaf(ctx.shape(), "normal")
    n_ops = int(rng.integers(3, 13))
    done, tries = 0, 0
    probs = _weights()
    pending = True  # the focus op is tried first, and again until it is in
    while (done < n_ops or pending) and tries < n_ops * 12 + 40:
        tries += 1
        spec = (
            focus
            if pending and (tries % 2 == 1 or done >= n_ops)
            else CATALOGUE[int(rng.choice(len(CATALOGUE), p=probs))]
        )
        cp = b.checkpoint()
        try:
            e = spec.gen(ctx)
        except Exception as exc:  # noqa: BLE001 - a generator bug: note it, draw another op
            b.errors.append(f"{spec.name}: generator raised {type(exc).__name__}: {exc}")
            e = None
        if e is None or not b.try_line(spec, e):
            b.rollback(cp)
            continue
        done += 1
        if spec is focus:
            pending = False
    if pending:
        return None
    torch = core.torch_module()
    leaves = [v.name for v in b.pool if v.is_tensor and v.kind == "float" and v.t.is_leaf and v.t.requires_grad]
    sinks = [
        v.name
        for v in b.pool
        if v.is_tensor
        and v.kind == "float"
        and not v.opaque
        and not v.private
        and v.uses == 0
        and v.t.requires_grad
        and isinstance(v.t, torch.Tensor)
    ]
    prog = Program(
        pid,
        dtype,
        b.lines,
        leaves,
        sinks,
        grad_mode=str(rng.choice(["grad", "backward", "vjp"], p=[0.45, 0.35, 0.2])),
        has_inplace=any(ln.mutates for ln in b.lines),
    )
    return prog if _grads_sane(prog) else None


def _grads_sane(prog: Program) -> bool:
    """Keep programs whose derivatives PyTorch computes finite and moderate; drop second derivatives
    where PyTorch has none. Where PyTorch refuses backward through a value changed in place, the
    derivatives are those of the functional equivalent (see `core.functional_equivalent`)."""
    run = run_program(prog, "torch")
    if run.forward_error is not None:
        return False
    if any(core.inplace_refusal(e) for e in run.phase_errors.values()):
        run = run_program(prog, "torch", functional=True)
        if run.forward_error is not None or run.aliased:
            return False
    for phase in ("loss", "grad"):
        if run.phase_errors.get(phase) is not None:
            return False
    for g in core.iter_tensors(run.ns.get("g")):
        a = core.to_numpy(g).astype(np.float64)
        if not np.all(np.isfinite(a)) or (a.size and np.abs(a).max() > 1e5):
            return False
    if prog.second:
        if "grad2" in run.phase_errors:
            prog.second = False
            return True
        for g in core.iter_tensors(run.ns.get("h")):
            a = core.to_numpy(g).astype(np.float64)
            if not np.all(np.isfinite(a)) or (a.size and np.abs(a).max() > 1e6):
                prog.second = False
    return True


# ---------------------------------------------------------------- running and comparing
@dataclass
class Run:
    ns: dict[str, Any]
    forward_error: tuple[int, BaseException] | None = None
    phase_errors: dict[str, BaseException] = field(default_factory=dict)
    snapshots: dict[int, dict[str, tuple[np.ndarray, bool, bool]]] = field(default_factory=dict)
    aliased: list[str] = field(default_factory=list)  # functional runs: in-place targets with aliases


def run_program(prog: Program, lib: str, snapshots: bool = False, functional: bool = False) -> Run:
    """Run the program's lines, then its loss and derivatives. `functional` (torch only): each
    in-place op applied to a clone instead (`core.functional_equivalent`), noting any changed tensor
    that shares memory with another value (the clone would then not be equivalent)."""
    run = Run(core.namespace(lib))
    ns = run.ns
    for i, ln in enumerate(prog.lines):
        if snapshots and ln.op not in ("leaf", "const"):
            snap = {}
            for r in dict.fromkeys(ln.reads):
                t = ns[r]
                snap[r] = (core.to_numpy(t), bool(t.requires_grad), bool(t.is_leaf))
            run.snapshots[i] = snap
        code = ln.code(lib)
        if functional:
            fcode = core.functional_equivalent(code)
            if fcode is not None:
                for n in core.inplace_names(code):
                    t = ns.get(n)
                    if core.is_torch(t):
                        others = [
                            k
                            for k, v in ns.items()
                            if k != n and core.is_torch(v) and (v is t or core.shares_memory(v, t))
                        ]
                        if others:
                            run.aliased.append(f"line {i}: {n} shares memory with {', '.join(others)}")
                code = fcode
        out = core.run_code(code, ns)
        if out.raised:
            run.forward_error = (i, out.error)  # type: ignore[assignment]
            return run
    for phase, code in prog.grad_lines():
        if phase in run.phase_errors or (
            phase == "grad2" and ("grad" in run.phase_errors or "loss" in run.phase_errors)
        ):
            continue
        if phase == "grad" and "loss" in run.phase_errors:
            continue
        out = core.run_code(code, ns)
        if out.raised:
            run.phase_errors[phase] = out.error  # type: ignore[assignment]
    return run


@dataclass
class Failure:
    kind: str  # raises, accepts, value, dtype, shape, type, requires_grad, none, grad, grad2
    where: str  # a value's name, g[i], h[i], a phase
    detail: str
    line: int | None = None  # the line that made the value, when known
    op: str = ""

    def __str__(self) -> str:
        at = f" (line {self.line}: {self.op})" if self.line is not None else ""
        return f"[{self.kind}] {self.where}{at}: {self.detail}"


@dataclass
class Outcome:
    failures: list[Failure]
    documented: list[str]  # differences the README documents, verified (not failures)
    t_run: Run
    a_run: Run
    functional: bool = False  # derivatives compared with those of torch's functional equivalent


def check(prog: Program) -> Outcome:
    torch = core.torch_module()
    t = run_program(prog, "torch", snapshots=True)
    a = run_program(prog, "al")
    fails: list[Failure] = []
    documented: list[str] = []
    made_by = {o: i for i, ln in enumerate(prog.lines) for o in ln.outs}
    if t.forward_error is not None:
        i, err = t.forward_error
        fails.append(Failure("oracle", f"line {i}", f"torch raised {type(err).__name__}: {err}", i, prog.lines[i].op))
        return Outcome(fails, documented, t, a)
    if a.forward_error is not None:
        i, err = a.forward_error
        fails.append(
            Failure(
                "raises",
                f"line {i}",
                f"al raised {type(err).__name__}: {core.first_line(str(err))}",
                i,
                prog.lines[i].op,
            )
        )
    # float64 tolerances only where nothing went through float32 (casts make mixed programs)
    low = any(core.is_torch(v) and v.dtype != torch.float64 and v.is_floating_point() for v in t.ns.values())
    tol = "float32" if low or prog.dtype != "float64" else "float64"
    opaque = {o for ln in prog.lines if ln.opaque for o in ln.outs}
    for ln in prog.lines:
        for name in ln.outs:
            if name not in a.ns:
                continue
            tv, av = t.ns[name], a.ns[name]
            if name in opaque:
                if core.is_torch(tv):
                    if not core.is_al(av):
                        ms = [core.Mismatch("type", name, f"torch gave a Tensor, al gave {type(av).__name__}")]
                    elif tuple(av.shape) != tuple(tv.shape) or core.dtype_name(av) != core.dtype_name(tv):
                        ms = [
                            core.Mismatch(
                                "shape/dtype",
                                name,
                                f"torch {tuple(tv.shape)} {core.dtype_name(tv)}, "
                                f"al {tuple(av.shape)} {core.dtype_name(av)}",
                            )
                        ]
                    else:
                        ms = []
                else:
                    ms = core.compare_values(name, av, tv, tol)
            else:
                ms = core.compare_values(name, av, tv, tol)
            for m in ms:
                i = made_by.get(name)
                fails.append(Failure(m.kind, name, m.detail, i, prog.lines[i].op if i is not None else ""))
    if a.forward_error is not None:
        return Outcome(fails, documented, t, a)
    phases = [p for p, _ in prog.grad_lines()]
    ref = t  # the run al's derivatives are compared with
    functional_from = None
    for phase in dict.fromkeys(phases):
        te, ae = ref.phase_errors.get(phase), a.phase_errors.get(phase)
        if ref is t and ae is None and core.inplace_refusal(te):
            # README, "Where it differs from PyTorch": al differentiates a value changed in place after
            # an op used it, where PyTorch refuses. Its derivatives must be those of the functional
            # equivalent (each in-place op applied to a clone), which PyTorch computes.
            f = run_program(prog, "torch", functional=True)
            problem = _functional_problem(prog, t, f, tol)
            if problem:
                fails.append(Failure("oracle", phase, f"{problem} (torch refused: {core.first_line(str(te))})"))
                break
            if core.inplace_refusal(f.phase_errors.get(phase)):
                fails.append(Failure("oracle", phase, "torch refuses the functional equivalent's backward too"))
                break
            ref, functional_from = f, len(fails)
            documented.append(
                "in-place: torch refuses backward through a value changed in place; al's derivatives "
                "checked against torch's functional equivalent"
            )
            te = ref.phase_errors.get(phase)
        if te is not None and ae is None:
            fails.append(
                Failure("accepts", phase, f"torch raised {type(te).__name__}: {core.first_line(str(te))}; al did not")
            )
            break
        if ae is not None and te is None:
            fails.append(Failure("raises", phase, f"al raised {type(ae).__name__}: {core.first_line(str(ae))}"))
            break
        if te is not None:
            break
        if phase == "loss":
            fails += [
                Failure("grad", m.where, f"{m.kind}: {m.detail}")
                for m in core.compare_values("loss", a.ns.get("loss"), ref.ns.get("loss"), tol)
            ]
        elif phase == "grad":
            _compare_grads(prog, "g", a, ref, fails, tol, "grad", none_as_zero=False)
        elif phase == "grad2":
            _compare_grads(prog, "gg", a, ref, fails, tol, "grad2", none_as_zero=False, check_rg=False)
            for m in core.compare_values("s", a.ns.get("s"), ref.ns.get("s"), tol, check_rg=False, none_as_zero=True):
                fails.append(Failure("grad2", m.where, f"{m.kind}: {m.detail}"))
            _compare_grads(prog, "h", a, ref, fails, tol, "grad2", none_as_zero=True)
    if functional_from is not None:
        for fl in fails[functional_from:]:
            fl.detail = f"(torch: the functional equivalent) {fl.detail}"
    return Outcome(fails, documented, t, a, functional_from is not None)


def _functional_problem(prog: Program, t: Run, f: Run, tol: str) -> str:
    """Why torch's functional run is not the in-place program's equivalent ("" when it is): it raised,
    a changed tensor had aliases, or a value differs from the in-place run's."""
    if f.forward_error is not None:
        i, err = f.forward_error
        return f"the functional equivalent raised at line {i}: {type(err).__name__}: {core.first_line(str(err))}"
    if f.aliased:
        return "the functional equivalent is not exact: " + "; ".join(f.aliased[:3])
    names = [o for ln in prog.lines if not ln.opaque for o in ln.outs + ([ln.mutates] if ln.mutates else [])]
    for name in dict.fromkeys(names):
        fv, tv = f.ns.get(name), t.ns.get(name)
        if core.is_torch(tv):
            if not core.is_torch(fv) or tuple(fv.shape) != tuple(tv.shape) or fv.dtype != tv.dtype:
                return f"the functional equivalent's {name} is not a tensor like the in-place run's"
            ms = core.compare_arrays(name, core.to_numpy(fv), core.to_numpy(tv), tol)
            if ms:
                return f"the functional equivalent's values differ from the in-place run's: {ms[0]}"
    return ""


def _compare_grads(
    prog: Program,
    var: str,
    a: Run,
    t: Run,
    fails: list[Failure],
    tol: str,
    kind: str,
    none_as_zero: bool,
    check_rg: bool = False,
) -> None:
    ag, tg = a.ns.get(var), t.ns.get(var)
    if tg is None and ag is None:
        return
    if tg is None:
        tg = [None] * len(prog.leaves)
    if ag is None:
        ag = [None] * len(prog.leaves)
    if not isinstance(ag, (tuple, list)) or len(ag) != len(tg):
        fails.append(Failure(kind, var, f"torch gave {len(tg)} gradients, al gave {ag!r:.80}"))
        return
    for leaf, x, y in zip(prog.leaves, ag, tg):
        for m in core.compare_values(f"{var}[{leaf}]", x, y, tol, check_rg=check_rg, none_as_zero=none_as_zero):
            fails.append(Failure(kind, m.where, f"{m.kind}: {m.detail}"))


# ---------------------------------------------------------------- cutting a failure down, and repro scripts
def isolate(prog: Program, outcome: Outcome) -> tuple[Program, Outcome] | None:
    """The first call of the program that fails on its own (its inputs as new leaves of the same values),
    or else the first pair of calls (a call and one that reads its result) that fails on its own."""
    order = []
    first = [f.line for f in outcome.failures if f.line is not None]
    if first:
        order.append(min(first))
    calls = [i for i, ln in enumerate(prog.lines) if ln.op not in ("leaf", "const")]
    order += [i for i in calls if i not in order]
    snaps = outcome.t_run.snapshots
    made_by = {o: i for i, ln in enumerate(prog.lines) for o in ln.outs}
    pairs = [(made_by[r], j) for j in calls for r in prog.lines[j].reads if made_by.get(r) in calls]
    # a call that read a value, and a later call that changed that value in place
    pairs += [
        (i, j)
        for j in calls
        if prog.lines[j].mutates
        for i in calls
        if i < j and prog.lines[j].mutates in prog.lines[i].reads
    ]
    for idxs in [(i,) for i in order] + list(dict.fromkeys(pairs)):
        if not all(i in snaps for i in idxs):
            continue
        sub = cut(prog, idxs, snaps)
        try:
            out = check(sub)
        except Exception:  # noqa: BLE001 - a sub-program the harness cannot run: try the next one
            continue
        if out.failures and not any(f.kind == "oracle" for f in out.failures):
            return sub, out
    return None


def cut(prog: Program, idxs: tuple[int, ...], snaps: dict[int, dict[str, tuple[np.ndarray, bool, bool]]]) -> Program:
    """The calls idxs of the program alone: what they read from elsewhere becomes new leaves (or
    constants) holding the values they read."""
    lines: list[Line] = []
    leaves: list[str] = []
    inner = {o for i in idxs for o in prog.lines[i].outs}
    defined: set[str] = set()
    mutated = {prog.lines[i].mutates for i in idxs}
    for i in idxs:
        for name, (arr, rg, _is_leaf) in snaps[i].items():
            if name in inner or name in defined:
                continue
            defined.add(name)
            grad = rg and arr.dtype.kind == "f"
            lit = core.tensor_literal(arr, requires_grad=grad)
            if grad and name in mutated:  # in place needs a non-leaf: a clone of a new leaf
                leaf = f"l{len(lines)}"
                lines.append(Line(f"{leaf} = {lit}", f"{leaf} = {lit}", "leaf", [], [leaf]))
                code = f"{name} = {leaf}.clone()"
                lines.append(Line(code, code, "const", [leaf], [name]))
                leaves.append(leaf)
            else:
                lines.append(Line(f"{name} = {lit}", f"{name} = {lit}", "leaf" if grad else "const", [], [name]))
                if grad:
                    leaves.append(name)
    calls = [prog.lines[i] for i in idxs]
    lines += calls
    torch = core.torch_module()
    probe = Program(prog.name, prog.dtype, lines, leaves, [], prog.grad_mode, True, any(c.mutates for c in calls))
    run = run_program(probe, "torch")
    sinks = []
    for c in calls:
        for o in c.outs + ([c.mutates] if c.mutates and not c.outs else []):
            v = run.ns.get(o)
            if isinstance(v, torch.Tensor) and v.is_floating_point() and v.requires_grad and not c.opaque:
                sinks.append(o)
    probe.sinks = list(dict.fromkeys(sinks))
    what = " and ".join(f"{i} ({prog.lines[i].op})" for i in idxs)
    probe.name = f"{prog.name}, line{'s' if len(idxs) > 1 else ''} {what} alone"
    _grads_sane(probe)
    return probe


def repro(prog: Program, outcome: Outcome) -> str:
    """A short standalone script: the program (only as far as needed) run by both libraries."""
    kinds = {f.kind for f in outcome.failures}
    phases = [c for _, c in prog.grad_lines()]
    grad_lines = [c for p, c in prog.grad_lines() if p in ("loss", "grad")]
    lines = [
        core.ReproLine(ln.al, (core.functional_equivalent(ln.torch) or ln.torch) if outcome.functional else ln.torch)
        for ln in prog.lines
    ]
    show: list[str] = []
    if kinds & {"grad2"} or any(f.where.startswith(("h[", "gg[", "s")) for f in outcome.failures if f.kind != "raises"):
        lines += [core.ReproLine(c) for c in phases]
        show = ["g", "h"]
    elif kinds & {"grad", "accepts"} or any(f.where in ("loss", "grad", "grad2") for f in outcome.failures):
        if any(f.where == "grad2" for f in outcome.failures):
            lines += [core.ReproLine(c) for c in phases]
            show = ["g", "h"]
        else:
            lines += [core.ReproLine(c) for c in grad_lines]
            show = ["loss", "g"]
    bad = [f.where for f in outcome.failures if f.where.startswith("v") and f.where[1:].isdigit()]
    show = list(dict.fromkeys(bad[:3] + show)) or [prog.lines[-1].outs[0] if prog.lines[-1].outs else "None"]
    helpers = set().union(*(ln.helpers for ln in prog.lines))
    title = f"parity repro: program {prog.name} ({prog.dtype}); python this_file.py from the repository root"
    if outcome.functional:
        title += (
            "\n# (PyTorch refuses this backward: a value an op saved was changed in place. Its side runs the"
            "\n# functional equivalent, each in-place op applied to a clone, whose derivatives al must give.)"
        )
    return core.Repro(title, lines, show, helpers).script()


def report(prog: Program, outcome: Outcome, isolate_failures: bool = True) -> str:
    """The failure message: what differs, and a script reproducing it (cut down when possible)."""
    head = [f"program {prog.name}: {len(outcome.failures)} difference(s) from PyTorch"]
    head += [f"  {f}" for f in outcome.failures[:12]]
    if len(outcome.failures) > 12:
        head.append(f"  ... and {len(outcome.failures) - 12} more")
    iso = isolate(prog, outcome) if isolate_failures else None
    if iso is not None:
        sub, sub_out = iso
        head.append(f"Cut down: {sub.name.partition(', ')[2]} reproduces it:")
        head += [f"  {f}" for f in sub_out.failures[:6]]
        script = repro(sub, sub_out)
    else:
        head.append("No single call fails on its own: the whole program reproduces it.")
        script = repro(prog, outcome)
    return "\n".join(head) + "\n\n--- repro (paste into a file and run from the repository root) ---\n" + script
