"""The engine's structure, kept readable: line budgets, the import graph, public names, no duplicate helpers.

These tests fail when the structure decays: when the core grows past what a student reads in an hour,
when a module starts importing what it should not (an import knot), when a module reaches into another's
private names, when a helper is written twice, or when docs/READING.md no longer tells the truth about
the reading path (every hop must exist as named, with the number of lines it says).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograd_lite"
READING = ROOT / "docs" / "READING.md"

# Line budgets (whole files, comments and docstrings included).
BUDGETS = {
    "engine.py": 250,        # the core: Primitive, Node, recording, toposort, sum_to, the backward loop
    # The Tensor's class body: PyTorch's Tensor API (some 300 methods, each a few lines calling the table's
    # primitives) is one class, so one file; every other module stays within MAX_MODULE_LINES.
    "tensor.py": 1800,
    "inplace.py": 320,
    "promotion.py": 220,
    "sparse_grad.py": 70,
    "fused_backward.py": 40,
    "anomaly.py": 150,
    "ops.py": 650,           # the table
}
MAX_MODULE_LINES = 1600      # any other module
BACKWARD_LOOP_LINES = 50     # the `while` loop of engine.run_backward
READ_PATH_LINES = 450        # the lines on docs/READING.md's read path

# The one import cycle: Tensor methods record primitives and in-place ops; the engine makes Tensors.
CORE_CYCLE = {"tensor", "engine", "ops", "inplace"}
# What the core may import besides itself: helpers that import nothing of it. (A module added here must
# import none of CORE_CYCLE; one that does belongs on top of the core, which never imports it.)
CORE_HELPERS = {"errors", "promotion", "grad_mode", "grad_fn", "checks", "devices", "indexing", "forwards", "special",
                "conv_kernels", "sparse_grad", "anomaly", "fused_backward", "random", "size", "printing"}


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.glob("*.py"))}


def _imports(tree: ast.Module, everywhere: bool = True) -> list[tuple[str, list[str], int]]:
    """(module imported from the package, names imported from it, line) for each relative import;
    `everywhere=False`: module-level imports only."""
    nodes = ast.walk(tree) if everywhere else tree.body
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:                       # from .tensor import Tensor
                found.append((node.module, [a.name for a in node.names], node.lineno))
            else:                                 # from . import ops, engine
                found.extend((a.name, [], node.lineno) for a in node.names)
    return found


def _graph(everywhere: bool = True) -> dict[str, set[str]]:
    mods = _modules()
    return {m: {imp for imp, _, _ in _imports(tree, everywhere) if imp in mods and imp != m}
            for m, tree in mods.items()}


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the graph's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_line_budgets_of_the_core_files() -> None:
    over = []
    for path in sorted(PACKAGE.glob("*.py")):
        n = len(path.read_text().splitlines())
        budget = BUDGETS.get(path.name, MAX_MODULE_LINES)
        if n > budget:
            over.append(f"{path.name}: {n} lines, budget {budget}")
    assert not over, "over budget (move the rarer machinery out, or say why the budget must grow): " + "; ".join(over)


def _function(tree: ast.Module, qualname: str) -> ast.AST | None:
    """The def (or class, or module-level assignment) named `qualname` ('Class.method', 'name')."""
    scope: list[ast.stmt] = tree.body
    found = None
    for part in qualname.split("."):
        found = None
        for node in scope:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == part:
                found = node
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == part for t in node.targets):
                found = node
        if found is None:
            return None
        scope = getattr(found, "body", [])
    return found


def test_the_backward_loop_is_short() -> None:
    run_backward = _function(_modules()["engine"], "run_backward")
    loops = [n for n in ast.walk(run_backward) if isinstance(n, ast.While)]
    assert len(loops) == 1
    n = loops[0].end_lineno - loops[0].lineno + 1
    assert n <= BACKWARD_LOOP_LINES, f"engine.run_backward's loop is {n} lines, budget {BACKWARD_LOOP_LINES}"


def test_the_only_import_cycle_is_the_tensor_and_its_engine() -> None:
    # Imports inside functions count too: a lazy import is still a knot for a reader.
    cycles = _strongly_connected(_graph(everywhere=True))
    assert cycles == [CORE_CYCLE], f"import cycles: {cycles}, expected exactly {CORE_CYCLE}"


def test_the_core_imports_only_its_helpers_and_they_import_nothing_of_it() -> None:
    graph = _graph()
    allowed = CORE_CYCLE | CORE_HELPERS
    bad = [f"{m} imports {d}" for m in sorted(CORE_CYCLE) for d in sorted(graph[m]) if d not in allowed]
    bad += [f"helper {m} imports {d}" for m in sorted(CORE_HELPERS) for d in sorted(graph[m]) if d in CORE_CYCLE]
    assert not bad, bad


def test_no_private_names_are_reached_across_modules() -> None:
    # Module-level names: `from .x import _y` and `x._y`. (Attributes of Tensor and Node objects, such as
    # `t._requires_grad`, are the Tensor/engine pair's own and are not counted.)
    mods = _modules()
    bad = []
    for m, tree in mods.items():
        for imp, names, line in _imports(tree):
            bad += [f"{m}.py:{line}: from .{imp} import {n}" for n in names if n.startswith("_")]
        aliases = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   and node.level == 1 and not node.module for a in node.names}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append(f"{m}.py:{node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, "private names used across modules (give them public names): " + "; ".join(bad)


def test_nn_uses_only_the_public_api() -> None:
    bad = []
    for path in sorted((ROOT / "nn").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograd_lite."):
                bad.append(f"{path.name}:{node.lineno}: from {node.module}")
            if isinstance(node, ast.Import) and any(a.name.startswith("autograd_lite.") for a in node.names):
                bad.append(f"{path.name}:{node.lineno}: import of a submodule")
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "al"
                    and node.attr.startswith("_")):
                bad.append(f"{path.name}:{node.lineno}: al.{node.attr}")
    assert not bad, bad


def _body_key(fn: ast.FunctionDef) -> str:
    """A function's body with its docstring dropped and every name, argument and constant folded: two
    helpers with the same key compute the same thing under other names."""
    body = fn.body[1:] if (fn.body and isinstance(fn.body[0], ast.Expr)
                           and isinstance(fn.body[0].value, ast.Constant)) else fn.body
    text = ast.dump(ast.Module(body=body, type_ignores=[]), annotate_fields=False)
    return re.sub(r"Name\('[^']*'|arg\('[^']*'|Constant\([^)]*\)|attr='[^']*'", "_", text)


def test_no_helper_is_written_twice() -> None:
    seen: dict[str, str] = {}
    twice = []
    for m, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and len(node.body) >= 4:
                key = _body_key(node)
                where = f"{m}.py:{node.name}"
                if key in seen:
                    twice.append(f"{seen[key]} and {where}")
                else:
                    seen[key] = where
    assert not twice, "the same helper twice: " + "; ".join(twice)


def test_one_topological_sort() -> None:
    sorts = [f"{m}.py:{node.name}" for m, tree in _modules().items() for node in ast.walk(tree)
             if isinstance(node, ast.FunctionDef) and re.search("topolog|toposort", node.name)]
    assert sorts == ["engine.py:toposort"], sorts


# ----------------------------------------------------------------------------------------------
# docs/READING.md: the reading path, true to the code
# ----------------------------------------------------------------------------------------------

HOP = re.compile(r"^\|\s*(\d+)\s*\|\s*`([\w/]+\.py):([\w.]+)`\s*\|\s*(read|skip)\s*\|\s*(\d+)\s*\|", re.M)
TOTAL = re.compile(r"(\d+) lines on the read path")


def _hops() -> list[tuple[int, str, str, str, int]]:
    return [(int(n), f, q, kind, int(lines)) for n, f, q, kind, lines in HOP.findall(READING.read_text())]


def test_reading_guide_hops_exist_with_the_lines_they_say() -> None:
    hops = _hops()
    assert len(hops) >= 10, "docs/READING.md lists the hops as a table: | n | `file.py:name` | read/skip | lines |"
    wrong = []
    for n, file, qualname, _, lines in hops:
        path = ROOT / file
        if not path.exists():
            wrong.append(f"hop {n}: no file {file}")
            continue
        node = _function(ast.parse(path.read_text()), qualname)
        if node is None:
            wrong.append(f"hop {n}: no {qualname} in {file}")
            continue
        actual = node.end_lineno - node.lineno + 1 + len(getattr(node, "decorator_list", []))
        if actual != lines:
            wrong.append(f"hop {n}: {file}:{qualname} is {actual} lines, the guide says {lines}")
    assert not wrong, "; ".join(wrong)


def test_reading_guide_read_path_fits_in_an_hour() -> None:
    read = sum(lines for _, _, _, kind, lines in _hops() if kind == "read")
    said = TOTAL.search(READING.read_text())
    assert said is not None and int(said.group(1)) == read, f"the guide's total should say {read} lines"
    assert read <= READ_PATH_LINES, f"the read path is {read} lines, budget {READ_PATH_LINES}"


def test_readme_links_the_reading_guide() -> None:
    assert "docs/READING.md" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"))
def test_each_module_says_what_it_owns_in_its_first_line(module: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / module).read_text()))
    assert doc and len(doc.splitlines()[0]) > 20, f"{module}: the first line of its docstring says what it owns"


def _qualname_at(tree: ast.Module, line: int) -> str | None:
    """The dotted name of the innermost def or class containing `line`, or of the module-level assignment
    containing it (a table entry's lambda: `ops.py:mul`)."""
    path: list[str] = []
    scope: list[ast.stmt] = tree.body
    while True:
        inner = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                      and n.lineno <= line <= n.end_lineno), None)
        if inner is None:
            break
        path.append(inner.name)
        scope = inner.body
    if path:
        return ".".join(path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.lineno <= line <= node.end_lineno:
            return next(t.id for t in node.targets if isinstance(t, ast.Name))
    return None


def test_reading_guide_lists_what_the_example_enters() -> None:
    # Run the guide's example, tracing every function of the package it enters from `loss = ...` on: each
    # must be a hop of the guide (or inside one), and each hop marked "read" must be entered.
    import sys

    code = re.search(r"```python\n(.*?)```", READING.read_text(), re.S).group(1)
    lines = code.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("loss ="))
    setup, traced = "\n".join(lines[:start]), "\n".join(ln for ln in lines[start:] if not ln.startswith("print"))
    entered: set[tuple[str, int]] = set()

    def tracer(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(str(PACKAGE)):
            entered.add((frame.f_code.co_filename, frame.f_code.co_firstlineno))

    namespace: dict = {}
    exec(setup, namespace)
    sys.settrace(tracer)
    try:
        exec(traced, namespace)
    finally:
        sys.settrace(None)
    trees: dict[str, ast.Module] = {}
    names = set()
    for filename, line in entered:
        tree = trees.setdefault(filename, ast.parse(Path(filename).read_text()))
        names.add(f"{Path(filename).relative_to(ROOT)}:{_qualname_at(tree, line)}")
    hops = {f"{file}:{q}": kind for _, file, q, kind, _ in _hops()}

    def listed(name: str) -> bool:
        file, q = name.split(":")
        return any(f"{file}:{q.rsplit('.', k)[0]}" in hops for k in range(q.count(".") + 1))

    missing = sorted(n for n in names if not listed(n))
    assert not missing, f"entered by the example but not in docs/READING.md: {missing}"
    never = sorted(h for h, kind in hops.items() if kind == "read"
                   and not any(n == h or n.startswith(h + ".") for n in names))
    assert not never, f"marked 'read' in docs/READING.md but not entered by the example: {never}"
