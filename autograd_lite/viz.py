"""Seeing the graph: graphviz pictures of what was recorded (forward, backward, by module, step by step)
and a text listing for terminals and diffs.

    dot = viz.draw_graph(loss, params=dict(model.named_parameters()))
    dot.render("graph", format="svg")          # or just show `dot` in Jupyter

Tensors are boxes (parameters blue, other leaves grey, the output orange), operations are yellow ovals
labelled with their attributes (`sum(dim=1)`). Small tensors show their values and, after backward, their
gradients; large ones a summary (min/mean/max, norm). The DOT source needs only the Python `graphviz`
package; turning it into SVG/PNG needs Graphviz's `dot` program, and a clear error says how to install it.
Every walk here is iterative, so graphs of 10^4 nodes draw without recursion limits.

Train, then look: after a plain `backward()`, the graph's structure is still there (grad_fn.py: `release`), so
everything draws but the values of the intermediate tensors backward freed; inside `keep_grads()`, backward also
keeps every intermediate tensor's gradient for the pictures.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import graphviz
import numpy as np

from . import conv_kernels, engine, inplace, viz_layout
from .grad_fn import GradFn, LeafRef
from .grad_mode import state as grad_state
from .player import StepThrough
from .sparse_grad import SparseGrad
from .tensor import Tensor, seed_gradient

INSTALL_DOT = ("Rendering the graph needs Graphviz's `dot` program, which was not found on PATH. Install the "
               "OS package `graphviz`: Debian/Ubuntu `sudo apt-get install graphviz`, macOS `brew install "
               "graphviz`, conda `conda install -c conda-forge graphviz`. (The DOT source, `.source`, needs "
               "no install.)")

_PARAM, _LEAF, _INTER, _ROOT = "#cfe3ff", "#e8e8e8", "#ffffff", "#ffd8a8"
_OP, _BWD, _HIGHLIGHT = "#fff3b0", "#e6d9ff", "#e03131"
_SMALL = 16           # tensors with at most this many elements show their values


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is missing: the message says how to install it."""


class Graph(graphviz.Digraph):
    """A `graphviz.Digraph` whose rendering explains how to install `dot` when it is missing."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFoundError(INSTALL_DOT) from exc

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFoundError(INSTALL_DOT) from exc


# ---------------------------------------------------------------------------------------------
# Walking the recorded graph
# ---------------------------------------------------------------------------------------------

_STEPS_FREED = ("backward() has freed the arrays this graph's rules need, so its steps cannot be run again; call "
                "backward(retain_graph=True) to step through it afterwards, or step through it before backward")
_VALUE_FREED = "(value freed by backward)"


class _FreedTensor:
    """What a picture draws for a tensor that the graph no longer holds after backward (`GradFn.release`): an
    intermediate, as its node remembered it (shape, dtype, name; `grad_fn` is that node), or a leaf that needs no
    gradient and that nothing else kept alive (from its `LeafRef`). Its values went with it: `array` is None."""

    __slots__ = ("grad_fn", "shape", "dtype", "name", "requires_grad")
    array = grad = None

    def __init__(self, grad_fn: GradFn | None, shape: tuple, dtype: Any, name: str | None) -> None:
        self.grad_fn, self.shape, self.dtype, self.name = grad_fn, shape, dtype, name
        self.requires_grad = grad_fn is not None

    @property
    def ndim(self) -> int:
        return len(self.shape)


_DRAWN = (Tensor, _FreedTensor)       # what a picture draws as a tensor
_COUNT_LEFT_OUT = 10**5                # tensors left out beyond max_nodes are counted up to this many


def _walk(roots: tuple[Tensor, ...], max_nodes: int) -> tuple[list[Any], int, dict[int, list]]:
    """Tensors reachable from `roots` (inputs that do not require grad included), outputs first,
    breadth-first so that a cut at `max_nodes` keeps what is nearest the output; how many were cut; and each
    op's inputs as drawn, by the id of its node: tensors, constants, and after backward a `_FreedTensor` for each
    tensor that the graph no longer holds. One tensor is drawn once, whichever way it is reached."""
    drawn_for: dict[int, Any] = {}        # a node's id -> what is drawn for its tensor: the tensor, or a stand-in

    def drawn(x: Any) -> Any:
        if isinstance(x, Tensor):
            return x if x.grad_fn is None else drawn_for.setdefault(id(x.grad_fn), x)
        if isinstance(x, GradFn):         # an intermediate tensor that backward freed: its node stands for it
            if id(x) not in drawn_for:
                drawn_for[id(x)] = _FreedTensor(x, *x.output_info)  # type: ignore[attr-defined]
            return drawn_for[id(x)]
        if isinstance(x, LeafRef):        # a leaf that needs no gradient: itself, if something still holds it
            leaf = x()
            return leaf if leaf is not None else _FreedTensor(None, x.shape, x.dtype, x.name)
        return x                          # a constant operand

    seen: dict[int, Any] = {}
    left_out: set[int] = set()            # beyond max_nodes: walked on (not drawn) to say how many were left out
    inputs_of: dict[int, list] = {}
    queue = [drawn(r) for r in roots]
    head = 0
    while head < len(queue) and len(left_out) < _COUNT_LEFT_OUT:
        t = queue[head]
        head += 1
        if id(t) in seen or id(t) in left_out:
            continue
        if len(seen) < max_nodes:
            seen[id(t)] = t
        else:
            left_out.add(id(t))
        node = t.grad_fn
        if node is not None and id(node) not in inputs_of:
            inputs_of[id(node)] = xs = [drawn(x) for x in node.graph_inputs()]
            queue.extend(x for x in xs if isinstance(x, _DRAWN))
    return list(seen.values()), len(left_out), inputs_of


def _drawing_order(tensors: list[Any], inputs_of: dict[int, list]) -> list[Any]:
    """The same tensors, each after its inputs: the engine's sort, following the inputs drawn (those that need
    no gradient too, and those that stand for freed tensors) instead of those that require grad."""
    member = {id(t) for t in tensors}
    return engine.toposort(tensors, lambda t: () if t.grad_fn is None else
                           [x for x in inputs_of[id(t.grad_fn)] if isinstance(x, _DRAWN) and id(x) in member])


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------


_NEGATIVE_ZERO = re.compile(r"(?<![\d.])-(0\.?0*)(?![\d.eE])")


def _values(a: np.ndarray, what: str = "value") -> str:
    """Small arrays in full, large ones as a summary (with the norm, named after `what` it is the norm of),
    so a 10x10 matrix does not flood the picture. No negative zeros: `-0.` says nothing a student needs."""
    a = np.asarray(a)
    if a.size <= _SMALL:
        text = np.array2string(a, precision=3, suppress_small=True, separator=" ", max_line_width=40)
        return _NEGATIVE_ZERO.sub(lambda m: " " + m.group(1), text)
    if a.dtype.kind not in "fc":
        return f"min {a.min()}  max {a.max()}"
    summary = f"min {a.min():.3g}  mean {a.mean():.3g}  max {a.max():.3g}\n|{what}| {np.linalg.norm(a):.3g}"
    return _NEGATIVE_ZERO.sub(lambda m: m.group(1), summary)


def _one_line(a: Any) -> str:
    """A small array on one line, at four digits, for captions: `[0.7616, -0.1]`."""
    a = np.asarray(a)
    number = (lambda v: f"{v:.4g}") if a.dtype.kind in "fc" else str
    text = number(a.item()) if a.ndim == 0 else np.array2string(
        a, separator=", ", formatter={"all": number}, max_line_width=10**6)
    return _NEGATIVE_ZERO.sub(lambda m: m.group(1), " ".join(text.split()))


def _grad_text(grad: Any, record: bool = False) -> str:
    """The gradient as a box shows it: `grad ` and its values (a summary if large); in a record, one scalar."""
    return f"grad {float(np.asarray(grad)):.4f}" if record else "grad " + _values(grad, "grad")


def _fmt_slice(s: slice) -> str:
    parts = ["" if s.start is None else str(s.start), "" if s.stop is None else str(s.stop)]
    text = ":".join(parts)
    return text + (f":{s.step}" if s.step is not None else "")


def _fmt_index(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            out.append(_fmt_slice(p))
        elif p is None:
            out.append("None")
        elif p is Ellipsis:
            out.append("...")
        elif isinstance(p, np.ndarray):
            out.append(f"{p.tolist()}" if p.size <= 6 else f"array{tuple(p.shape)}")
        else:
            out.append(str(p))
    return "[" + ", ".join(out) + "]"


def _fmt_attr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return str(value.tolist()) if value.size <= 6 else f"array{tuple(value.shape)}"
    if isinstance(value, np.dtype) or isinstance(value, type):
        return np.dtype(value).name
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# Attributes at these values are PyTorch's defaults: shown they would only add noise (`conv(stride=2)`).
_DEFAULT_ATTRS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "output_padding": 0}


def _pytorch_spelling(value: Any) -> Any:
    """A per-dim setting as PyTorch's arguments spell it: ((1, 1), (1, 1)) padding is 1, (2, 2) stride is 2."""
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 and v[0] == v[1]
                                                  for v in value):
        value = tuple(v[0] for v in value)          # symmetric padding: one number per dim
    if isinstance(value, tuple) and value and all(isinstance(v, int) and v == value[0] for v in value):
        value = value[0]                            # the same in every dim: one number
    return value


def _op_parts(node: engine.Node) -> tuple[list[str], list[str]]:
    """An op's operands (· for a tensor, the value for a constant) and its attributes, as text."""
    operands = []
    for x in node.graph_inputs():
        if isinstance(x, (Tensor, GradFn, LeafRef)):      # (a node or a LeafRef: a tensor, after backward)
            operands.append("·")
        elif x is not None:
            operands.append(_fmt_attr(x))
    # Attributes at their "off" value (keepdim=False, dim=None) would only add noise.
    attrs = [repr(v) if isinstance(v, conv_kernels.ArgMax) else f"{k}={_fmt_attr(_pytorch_spelling(v))}"
             for k, v in node.attrs.items() if v is not None and v is not False and k not in ("denom",)
             and not (k in _DEFAULT_ATTRS and _pytorch_spelling(v) == _DEFAULT_ATTRS[k])]
    return operands, attrs


def _op_name(node: engine.Node) -> str:
    """The op's name, as the user wrote it: `add_` for an in-place add, `setitem` for `x[i] = v`."""
    name = node.op.name
    if node in inplace.IN_PLACE_NODES:
        return "setitem" if name == "index_put" else name + "_"
    return name


def op_label(node: engine.Node) -> str:
    """`sum(dim=1)`, `getitem[:, 1]`, `mul(·, 0.9)`: the op, its attributes and its constant operands."""
    name = _op_name(node)
    if name in ("getitem", "setitem"):
        return name + _fmt_index(node.attrs.get("index"))
    operands, attrs = _op_parts(node)
    if all(a == "·" for a in operands):
        operands = []
    args = operands + attrs
    return f"{name}({', '.join(args)})" if args else name


def _scalar_record(t: Tensor, name: str | None, grad: Any) -> str:
    """micrograd's node: `{ name | data 2.0000 | grad 0.5000 }` (a Graphviz record, its special characters escaped)."""
    fields = [re.sub(r"([|{}<>\\])", r"\\\1", name)] if name else []
    fields.append("data freed" if t.array is None else f"data {float(t.array):.4f}")
    if grad is not None:
        fields.append(_grad_text(grad, record=True))
    return "{ " + " | ".join(fields) + " }"


def _tensor_label(t: Tensor, name: str | None, show_data: bool, grad: Any, show_grad: bool) -> str:
    lines = [name] if name else []
    lines.append(f"{tuple(t.shape)} {t.dtype}")
    if t.grad_fn is None and t.requires_grad:
        lines.append("requires grad")
    if show_data:
        lines.append(_VALUE_FREED if t.array is None else _values(t.array))
    if show_grad and grad is not None:
        lines.append(_grad_text(grad))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Names and modules
# ---------------------------------------------------------------------------------------------


def _module_names(model: Any) -> dict[int, str]:
    return {id(m): (name or type(m).__name__) for name, m in model.named_modules()}


def _param_names(params: Mapping[str, Tensor] | None, model: Any) -> dict[int, str]:
    names: dict[int, str] = {}
    if model is not None and hasattr(model, "named_parameters"):
        names.update({id(p): n for n, p in model.named_parameters()})
    if params:
        names.update({id(p): n for n, p in params.items()})
    return names


def _names(order: list[Any], params: Mapping[str, Tensor] | None, model: Any) -> dict[int, str]:
    """What each drawn tensor is called: its parameter name (params, or the model's), else its own `name`."""
    names = _param_names(params, model)
    for t in order:
        if t.name and id(t) not in names:
            names[id(t)] = t.name
    return names


def _scope_path(scope: tuple, mod_names: dict[int, str] | None) -> tuple[str, ...]:
    path = []
    for owner in scope:
        if mod_names is not None and id(owner) in mod_names:
            label = mod_names[id(owner)]
            if label == type(owner).__name__ and path:       # the root model: no need to repeat it
                continue
            path.append(f"{label} ({type(owner).__name__})" if label != type(owner).__name__ else label)
        else:
            path.append(owner if isinstance(owner, str) else type(owner).__name__)
    return tuple(path)


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------


def draw_graph(*roots: Tensor, params: Mapping[str, Tensor] | None = None, show_data: bool = False,
               show_grad: bool = True, show_saved: bool = False, group_modules: Any = False,
               collapse: bool | int = False, max_nodes: int = 500, rankdir: str = "TB",
               view: str = "forward", grads: Mapping[int, Any] | None = None,
               highlight: Any = None, compact: bool = False, columns: int | None = None) -> Graph:
    """Draw the graph that produced `roots` (usually the loss) as a `graphviz.Digraph`.

    params: names for tensors, e.g. ``dict(model.named_parameters())`` (tensors may also carry `name=`).
    show_data / show_grad: values of small tensors (summaries of large ones); gradients where known
        (`.grad` after backward, for leaves and tensors that called `retain_grad()`; every tensor's, for a
        backward run inside `viz.keep_grads()`). Drawn after a plain `backward()`, the intermediate tensors'
        values are gone ("value freed by backward"); the rest of the picture is the same.
    show_saved: list, on each op, the values it keeps for its backward pass (none, once backward has run).
    group_modules: True, or the model (`nn.Module`, for submodule names), to draw a cluster per module;
        collapse: True (or a depth) to draw each module (below that depth) as one node.
    max_nodes: draw at most this many tensors, nearest the output first; a note says how many were left.
    view: "forward" (data flow), "backward" (which VJP fed which gradient) or "both", side by side.
    compact: scalars as micrograd draws them, one box `name | data 2.0000 | grad 0.5000` (no shape or dtype).
    columns: the forward view in this many columns, read top to bottom then left to right (a deep chain such
        as LeNet's layers or an unrolled LSTM fits a page so); None picks them from the graph's shape (one
        for all but deep graphs, wrapped between modules: viz_layout.py), 1 keeps one column.
    """
    if not roots:
        raise ValueError("draw_graph: pass at least one tensor (e.g. the loss)")
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph: expected Tensors, got {type(r).__name__}")
    if view not in ("forward", "backward", "both"):
        raise ValueError(f"draw_graph: view must be 'forward', 'backward' or 'both', got {view!r}")
    if columns is not None and columns < 1:
        raise ValueError(f"draw_graph: columns must be at least 1 (or None, to choose), got {columns}")
    model = group_modules if group_modules not in (True, False, None) else None
    tensors, cut, inputs_of = _walk(roots, max_nodes)
    order = _drawing_order(tensors, inputs_of)
    names = _names(order, params, model)
    mod_names = _module_names(model) if model is not None else None
    root_ids = {id(r) for r in roots}
    # Node ids numbered in topological order (not id()), so the same graph gives the same DOT source.
    seq = {id(t): i for i, t in enumerate(order)}

    g = Graph("autograd_lite", graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11",
                                           "compound": "true"},
              node_attr={"fontname": "Helvetica", "fontsize": "10"},
              edge_attr={"arrowsize": "0.7", "fontname": "Helvetica"})
    if view in ("forward", "both"):
        target = g if view == "forward" else graphviz.Digraph(name="cluster_forward",
                                                              graph_attr={"label": "forward", "style": "dashed"})
        # (two views side by side stay one column each; a rankdir of one's own is a layout of one's own)
        wrap = 1 if view == "both" or (columns is None and rankdir != "TB") else columns
        _draw_forward(target, order, inputs_of, seq, names, root_ids, show_data, show_grad, show_saved,
                      bool(group_modules), collapse, mod_names, grads, highlight, compact, wrap)
        if view == "both":
            g.subgraph(target)
    if view in ("backward", "both"):
        target = g if view == "backward" else graphviz.Digraph(name="cluster_backward",
                                                               graph_attr={"label": "backward", "style": "dashed"})
        _draw_backward(target, order, inputs_of, seq, names, root_ids, show_grad, grads, highlight)
        if view == "both":
            g.subgraph(target)
    if cut:
        more = f"{cut}" if cut < _COUNT_LEFT_OUT else f"at least {cut}"
        g.node("truncated", f"... {more} more tensors not drawn (max_nodes={max_nodes})",
               shape="note", style="filled", fillcolor="#f8f9fa")
    return g


def _grad_of(t: Any, grads: Mapping[int, Any] | None) -> Any:
    """The gradient to write on `t`: the step's (backward_steps), its `.grad`, or the one keep_grads() kept."""
    if grads is not None:
        return grads.get(id(t))
    if t.grad is not None:
        return t.grad.array
    return None if t.grad_fn is None else KEPT_GRADS.get(t.grad_fn)


# Where the order of an op's operands matters, each edge says which operand it is (`a - b` is not `b - a`).
OPERAND_ROLES = {"sub": ("x", "y"), "div": ("x", "y"), "pow": ("x", "y"), "matmul": ("x", "y"),
                 "linear": ("input", "weight", "bias"), "conv": ("input", "weight", "bias"),
                 "conv_transpose": ("input", "weight", "bias"), "where": ("condition", "x", "y"),
                 "nll_loss": ("input", "target"), "binary_cross_entropy": ("input", "target"),
                 "gather": ("input", "index"), "index_put": ("input", "values"),
                 "lstm_cell": ("input_gates", "hidden_gates", "cx")}       # PyTorch's _thnn_fused_lstm_cell's


def _draw_forward(g: Any, order: list[Any], inputs_of: dict[int, list], seq: dict[int, int], names: dict[int, str],
                  root_ids: set[int], show_data: bool, show_grad: bool, show_saved: bool, group: bool,
                  collapse: bool | int, mod_names: dict[int, str] | None, grads: Mapping[int, Any] | None,
                  highlight: Any, compact: bool = False, columns: int | None = 1) -> None:
    # Which cluster (module path) each tensor and op belongs to; parameters go with their module.
    def path_of(t: Tensor) -> tuple[str, ...]:
        if not group or t.grad_fn is None:
            return ()
        return _scope_path(t.grad_fn.scope, mod_names)

    depth = None if collapse is False else (1 if collapse is True else int(collapse))
    owner_path: dict[int, tuple[str, ...]] = {}
    for t in order:
        owner_path[id(t)] = path_of(t)
    if group:   # a parameter used only inside one module is drawn inside that module
        users: dict[int, set[tuple[str, ...]]] = {}
        for t in order:
            if t.grad_fn is not None:
                for x in inputs_of[id(t.grad_fn)]:
                    if isinstance(x, _DRAWN) and x.grad_fn is None:
                        users.setdefault(id(x), set()).add(owner_path[id(t)])
        for t in order:       # (parameters: named leaves that require grad; inputs stay outside)
            if t.grad_fn is None and t.requires_grad and len(users.get(id(t), ())) == 1 and id(t) in names:
                owner_path[id(t)] = next(iter(users[id(t)]))

    def collapsed(path: tuple[str, ...]) -> tuple[str, ...] | None:
        if depth is None or len(path) < depth:
            return None
        return path[:depth]

    clusters: dict[tuple[str, ...], list[tuple[str, dict]]] = {}
    edges: list[tuple[str, str, dict]] = []
    module_nodes: dict[tuple[str, ...], str] = {}
    module_ids: set[str] = set()
    module_members: dict[tuple[str, ...], list[str]] = {}

    def place(path: tuple[str, ...], node_id: str, attrs: dict) -> None:
        clusters.setdefault(path, []).append((node_id, attrs))

    def rep(t: Tensor) -> str:
        c = collapsed(owner_path[id(t)])
        return module_nodes[c] if c is not None else f"t{seq[id(t)]}"

    for t in order:
        path = owner_path[id(t)]
        c = collapsed(path)
        is_root = id(t) in root_ids
        if c is not None:       # inside a collapsed module: drawn as (part of) the module's node
            if c not in module_nodes:
                module_nodes[c] = f"m{len(module_nodes)}"
                module_ids.add(module_nodes[c])
                module_members[c] = []
            if t.grad_fn is None and id(t) in names:
                module_members[c].append(f"{names[id(t)]} {tuple(t.shape)}")
        if c is None or is_root:
            if t.grad_fn is None:
                fill = _PARAM if t.requires_grad else _LEAF
            else:
                fill = _ROOT if is_root else _INTER
            name = names.get(id(t)) or ("output" if is_root and len(root_ids) == 1 else None)
            attrs = {"label": _tensor_label(t, name, show_data, _grad_of(t, grads), show_grad), "shape": "box",
                     "style": "filled" if t.grad_fn is None else "rounded,filled", "fillcolor": fill,
                     "penwidth": "2" if t.requires_grad else "1"}
            if compact and t.ndim == 0:
                attrs.update(label=_scalar_record(t, name, _grad_of(t, grads) if show_grad else None),
                             shape="record", style="filled")
            place(path if c is None else (), f"t{seq[id(t)]}", attrs)
        if t.grad_fn is None:
            continue
        node = t.grad_fn
        if c is None:
            op_id = f"op{seq[id(t)]}"
            op_attrs = {"label": op_label(node), "shape": "ellipse", "style": "filled", "fillcolor": _OP}
            if show_saved and node.arrays is not None:
                saved = [f"{tuple(np.shape(v))}" for v in node.arrays if isinstance(v, np.ndarray)]
                if saved:
                    op_attrs["label"] += "\nsaves " + ", ".join(saved)
            if highlight is not None and node is highlight:
                op_attrs.update(color=_HIGHLIGHT, penwidth="3", fontcolor=_HIGHLIGHT)
            place(path, op_id, op_attrs)
            edges.append((op_id, f"t{seq[id(t)]}", {}))
        else:
            op_id = module_nodes[c]
            if is_root:
                edges.append((op_id, f"t{seq[id(t)]}", {}))
        hot = highlight is not None and node is highlight
        roles = OPERAND_ROLES.get(node.op.name, ()) if c is None else ()
        for i, x in enumerate(inputs_of[id(node)]):
            if isinstance(x, _DRAWN) and id(x) in owner_path:    # inputs cut by max_nodes are not drawn
                src = rep(x)
                if src != op_id:
                    attrs = {"color": _HIGHLIGHT, "penwidth": "2"} if hot else {}
                    if i < len(roles):
                        attrs.update(label=f" {roles[i]}", fontsize="9")
                    elif src in module_ids or op_id in module_ids:   # between collapsed layers: the activation
                        attrs.update(label=f" {tuple(x.shape)}", fontsize="9")
                    # One edge per use of an operand inside an op (`a * a`: two), so that what the backward
                    # pass adds up is in the picture; a collapsed module gets one edge per tensor.
                    edges.append((src, op_id, attrs, c is None))

    for c, node_id in module_nodes.items():
        members = module_members[c]
        label = c[-1] + ("\n" + "\n".join(members) if members else "")
        place(c[:-1] if len(c) > 1 else (), node_id,
              {"label": label, "shape": "box3d", "style": "filled", "fillcolor": "#d3f9d8"})
    plan = viz_layout.plan({n: (p, attrs) for p, members in clusters.items() for n, attrs in members},
                           [(a, b, attrs) for a, b, attrs, *_ in edges], columns)
    _emit_clusters(g, clusters if plan is None else plan.paths(clusters))
    if plan is not None:
        plan.anchor(g)
    seen_edges = set()
    for a, b, attrs, *per_use in edges:
        if a == b:
            continue
        key = (a, b)
        if key in seen_edges and not (per_use and per_use[0]):
            continue
        seen_edges.add(key)
        g.edge(a, b, **(attrs if plan is None else plan.edge_attrs(key, attrs)))


def _emit_clusters(g: Any, clusters: dict[tuple[str, ...], list[tuple[str, dict]]]) -> None:
    """Nested `cluster_` subgraphs, one per module path, built innermost first (no recursion)."""
    for node_id, attrs in clusters.get((), []):
        g.node(node_id, **attrs)
    paths = sorted((p for p in clusters if p), key=len)
    all_paths = set()
    for p in paths:
        for k in range(1, len(p) + 1):
            all_paths.add(p[:k])
    # Numbered in a fixed order (not by hash(), which Python salts per process) so DOT output is stable.
    frame = {"style": "rounded,dashed", "color": "#868e96", "fontname": "Helvetica", "fontsize": "10"}
    column = {"label": "", "style": "invis"}        # a column of a wrapped picture: kept in one piece, unframed
    subgraphs = {p: graphviz.Digraph(name=f"cluster_{k}", graph_attr=column if isinstance(p[-1], viz_layout.ColumnKey)
                                     else {"label": p[-1], **frame})
                 for k, p in enumerate(sorted(all_paths))}
    for p, sub in subgraphs.items():
        for node_id, attrs in clusters.get(p, []):
            sub.node(node_id, **attrs)
    # attach children to parents, deepest first; siblings in name order (a set's order changes per process)
    for p in sorted(sorted(all_paths), key=len, reverse=True):
        parent = subgraphs.get(p[:-1]) if len(p) > 1 else None
        (parent if parent is not None else g).subgraph(subgraphs[p])


def _draw_backward(g: Any, order: list[Any], inputs_of: dict[int, list], seq: dict[int, int], names: dict[int, str],
                   root_ids: set[int], show_grad: bool, grads: Mapping[int, Any] | None, highlight: Any) -> None:
    """The gradient flow: one node per VJP (`MulBackward0`, PyTorch's name), an arrow to the VJP of each input that
    needs a gradient, and one `AccumulateGrad` per leaf that requires grad (with its gradient if known)."""
    for t in order:
        if not t.requires_grad:
            continue
        if t.grad_fn is None:
            label = "AccumulateGrad"
            if id(t) in names:
                label += f"\n{names[id(t)]}"
            label += f"\ngrad {tuple(t.shape)}"
            grad = _grad_of(t, grads)
            if show_grad and grad is not None:
                label += "\n" + _values(grad)
            g.node(f"b{seq[id(t)]}", label, shape="box", style="filled", fillcolor=_PARAM)
            continue
        node = t.grad_fn
        attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": _BWD}
        if highlight is not None and node is highlight:
            attrs.update(color=_HIGHLIGHT, penwidth="3", fontcolor=_HIGHLIGHT)
        label = node.name() + (f"\n(from {names[id(t)]})" if id(t) in names else "")
        if id(t) in root_ids:
            label += f"\nseed: d{names.get(id(t), 'output')}/d itself = 1" if t.numel() == 1 else ""
        g.node(f"b{seq[id(t)]}", label, **attrs)
        for x in inputs_of[id(node)]:
            if isinstance(x, _DRAWN) and x.requires_grad and id(x) in seq:
                g.edge(f"b{seq[id(t)]}", f"b{seq[id(x)]}", label=f" {tuple(x.shape)}", fontsize="9")


# ---------------------------------------------------------------------------------------------
# Every gradient, kept for the pictures
# ---------------------------------------------------------------------------------------------

# The gradients of the intermediate tensors, from the backward passes run inside `keep_grads()`, by the tensor's
# node: held weakly, so that they go when the graph goes.
KEPT_GRADS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _keep_grad(t: Tensor, g: Any, pending: dict) -> None:
    """The observer that keep_grads() sets: t's complete gradient, copied (a rule may hand on the very array,
    which may become a leaf's `.grad` and be updated in place), added to what earlier passes kept, as `.grad`."""
    g = np.array(g.array if isinstance(g, Tensor) else g, copy=True)
    kept = KEPT_GRADS.get(t.grad_fn)
    KEPT_GRADS[t.grad_fn] = g if kept is None else kept + g


@contextlib.contextmanager
def keep_grads() -> Iterator[None]:
    """Inside it, every backward pass keeps the gradient of every tensor it goes through, intermediates included,
    for `draw_graph` to show, as if each had called `retain_grad()` (no `.grad` changes, nor what backward does)::

        with viz.keep_grads():
            loss.backward()
        viz.draw_graph(loss)          # every tensor with its gradient

    They are kept with the graph's nodes and go with them. Uses may nest; like grad mode, it holds in this thread.
    """
    previous = grad_state.observer
    grad_state.observer = _keep_grad
    try:
        yield
    finally:
        grad_state.observer = previous


# ---------------------------------------------------------------------------------------------
# Backward, one step at a time
# ---------------------------------------------------------------------------------------------


class _GradsAt(Mapping[int, np.ndarray]):
    """The gradients known after step `step` of a recorded backward pass, by tensor id, without a copy.

    `history[id]` lists the steps at which that tensor's gradient changed and its value after each, in
    step order; a lookup is a binary search. `final` overrides it (the leaves' own results, last step).
    Pictures read it only for the tensors they draw, so a picture costs what it draws, not the graph.
    """

    def __init__(self, history: dict[int, tuple[list[int], list[np.ndarray]]], step: int,
                 final: Mapping[int, np.ndarray] | None = None) -> None:
        self._history = history
        self._step = step
        self._final = final or {}

    def __getitem__(self, key: int) -> np.ndarray:
        if key in self._final:
            return self._final[key]
        steps, values = self._history[key]
        i = bisect.bisect_right(steps, self._step) - 1
        if i < 0:
            raise KeyError(key)
        return values[i]

    def __iter__(self) -> Iterator[int]:
        yield from self._final
        yield from (k for k in self._history if k not in self._final and k in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int):
            return False
        if key in self._final:
            return True
        h = self._history.get(key)
        return h is not None and h[0][0] <= self._step


class TableRule(NamedTuple):
    """One rule of ops.py's table: the input it is for (the rule's parameter name, `x`), its code as written
    (`g * (1 - out * out)`), the local derivative its comment gives (`1 - tanh^2`, or ""), and the names the code
    reads (`g`, `out`: which numbers a caption shows)."""
    input: str
    code: str
    meaning: str
    reads: tuple[str, ...]
    params: tuple[str, ...]          # the rule's inputs' names, in order (`x`, `y`), after `g` and `out`


_RULES: dict[str, list[TableRule]] | None = None


def table_rules(op_name: str) -> list[TableRule]:
    """The rules of the op as ops.py's table writes them, one per input, read from the table's source so that
    a caption quotes exactly what runs. Empty for ops not in the table (a Function's own backward)."""
    global _RULES
    if _RULES is None:
        _RULES = _read_table()
    return _RULES.get(op_name, [])


def rule_text(op_name: str) -> list[str]:
    """The code of each rule of the op, as the table writes it: `["g * (1 - out * out)"]` for tanh."""
    return [rule.code for rule in table_rules(op_name)]


def _read_table() -> dict[str, list[TableRule]]:
    import ast
    import inspect
    import io
    import tokenize

    from . import ops

    source = inspect.getsource(ops)
    comments = {tok.start[0]: tok.string.lstrip("# ").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
    lines = source.splitlines()
    functions = {f.name: f for f in ast.parse(source).body if isinstance(f, ast.FunctionDef)}

    def explained(fn: ast.FunctionDef) -> str:
        """A rule written as a function below the table: its docstring's or first comment's first sentence."""
        doc = ast.get_docstring(fn)
        if doc:
            return doc.split("\n")[0].rstrip(".")
        first = next((comments[n] for n in range(fn.lineno, fn.end_lineno + 1) if n in comments), "")
        return first.split(". ")[0].rstrip(".")

    table: dict[str, list[TableRule]] = {}
    for stmt in ast.parse(source).body:
        call = stmt.value if isinstance(stmt, ast.Assign) else None
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Primitive" and call.args
                and isinstance(call.args[0], ast.Constant)):
            continue
        name, rule_args = call.args[0].value, call.args[2:]
        params = next(([a.arg for a in r.args.args] for r in rule_args if isinstance(r, ast.Lambda)), [])
        # An entry of one rule may say what it means on its first line (sum's "1: g spread over the elements
        # added") or in the comment above it ("getitem: g where x was read, 0 elsewhere. On arrays ...").
        only = ""
        if len(rule_args) == 1:
            only = comments.get(stmt.lineno, "")
            k = stmt.lineno - 2
            while not only and k >= 0 and lines[k].lstrip().startswith("#"):
                text = lines[k].lstrip("# ").strip()
                if text.startswith(f"{name}:"):
                    only = text[len(name) + 1:].split(". ")[0].strip().rstrip(".")
                k -= 1
        rules = []
        for i, arg in enumerate(rule_args):
            if isinstance(arg, ast.Constant) and arg.value is None:
                continue                                        # an input with no gradient (where's condition)
            body = arg.body if isinstance(arg, ast.Lambda) else arg
            input_name = ("each input" if isinstance(arg, ast.Lambda) and arg.args.vararg is not None
                          else params[2 + i] if len(params) > 2 + i else f"input {i}")
            code = " ".join(ast.get_source_segment(source, body).split())
            span = [n for n in range(body.end_lineno, arg.lineno - 1, -1) if n != stmt.lineno or len(rule_args) == 1]
            meaning = next((comments[n] for n in span if n in comments), "")   # its end's comment first
            called = body.func if isinstance(body, ast.Call) else body
            if not (meaning or only) and isinstance(called, ast.Name) and called.id in functions:
                meaning = explained(functions[called.id])
            reads = tuple(dict.fromkeys(n.id for n in ast.walk(body) if isinstance(n, ast.Name) and n.id in params))
            rules.append(TableRule(input_name, code, meaning or only, reads, tuple(params[2:])))
        table[name] = rules
    return table


class RecordedBackward(NamedTuple):
    """A backward pass as it ran: `nodes[k - 1]` is the node whose rules ran at step k; `history[id(t)]`, the
    steps at which t's gradient changed and its value after each (only t and its op's inputs change at t's
    step: O(edges) records in all); `final`, each leaf's result as backward returns it (after its hooks)."""
    nodes: list[engine.Node]
    history: dict[int, tuple[list[int], list[np.ndarray]]]
    final: dict[int, np.ndarray]


def _recorded_backward(root: Tensor, who: str) -> RecordedBackward:
    """Run the engine's own backward pass from `root`, with the graph retained and nothing written to `.grad`,
    recording each step: the gradients shown are exactly the real ones, and a later `root.backward()` gives
    the same result as without it."""
    if not root.requires_grad:
        raise RuntimeError(f"{who}: the tensor does not require grad, so there is no backward pass")
    tensors, _, _ = _walk((root,), 10**9)
    if any(t.grad_fn is not None and t.grad_fn.inputs is None for t in tensors):
        raise RuntimeError(f"{who}: " + _STEPS_FREED)
    leaves = [t for t in tensors if t.grad_fn is None and t.requires_grad]
    nodes: list[engine.Node] = []
    # A snapshot of every gradient known at every step would be quadratic (it took 1.8 GB before the first
    # picture of a 10^4-op chain); only t itself and the inputs of its op change at t's step.
    history: dict[int, tuple[list[int], list[np.ndarray]]] = {}

    def record(key: int, value: np.ndarray) -> None:
        steps, values = history.setdefault(key, ([], []))
        steps.append(len(nodes))
        values.append(value)

    def on_step(t: Tensor, g: Any, pending: dict) -> None:
        # t's own gradient (after its hooks), and the partial sums its rules just added to, as they are
        # now: copied, because a rule may hand back the very array it was given (add's does) and a hook
        # may change one in place, and a sparse gradient's parts grow in place. Gradients that did not
        # change at this step keep their last record.
        node = t.grad_fn
        nodes.append(node)
        record(id(t), np.array(g, copy=True))
        for x in dict.fromkeys(x for x in inplace.inputs_as_used(node) if isinstance(x, Tensor)):   # x * x: once
            gx = pending.get(x)
            if gx is not None:
                record(id(x), gx.dense() if isinstance(gx, SparseGrad) else np.array(gx, copy=True))

    seed = seed_gradient(root, None, False, who)
    found = engine.run_backward([root], [seed], True, False, inputs=leaves or None, observer=on_step)
    final = {id(leaf): np.asarray(g) for leaf, g in zip(leaves, found or []) if g is not None}
    return RecordedBackward(nodes, history, final)


def backward_steps(root: Tensor, params: Mapping[str, Tensor] | None = None,
                   **draw_kwargs: Any) -> Iterator[tuple[str, Graph]]:
    """Yield `(caption, picture)` for each VJP application, in the order backward runs them.

    Each picture is the forward graph with the op whose rule has just run highlighted, and every
    gradient known so far written on its tensor. It runs the engine's own backward pass (with the graph
    retained and nothing written to `.grad`), so the gradients it shows are exactly the real ones and a
    later `root.backward()` gives the same result as without it.

    The pass runs once, when the first picture is asked for, and keeps only what changed at each step
    (memory linear in the graph); each picture is drawn when it is asked for, and `max_nodes` (passed on
    to `draw_graph`, 500 by default) bounds the work of each one: the first pictures of a 10^5-op chain
    take about a second, nearly all of it the pass itself.
    """
    nodes, history, final = _recorded_backward(root, "backward_steps")
    draw_kwargs.setdefault("show_grad", True)
    total = len(nodes)
    for k, node in enumerate(nodes, 1):
        grads = _GradsAt(history, k, final if k == total else None)
        caption = f"step {k}/{total}: {node.name()} sends gradients to the inputs of {op_label(node)}"
        rules = rule_text(node.op.name)
        if rules:
            caption += f"; its rule{'s' if len(rules) > 1 else ''} from the table: " + ", ".join(rules)
        yield caption, draw_graph(root, params=params, grads=grads, highlight=node, **draw_kwargs)


# ---------------------------------------------------------------------------------------------
# The step-through: the data of its frames (the page that plays them: player.py)
# ---------------------------------------------------------------------------------------------

_FEW = 16            # tensors of at most this many elements have their numbers written in captions


def _few_numbers(*arrays: Any) -> bool:
    return all(np.size(a) <= _FEW for a in arrays)


def step_through(root: Tensor, params: Any = None, *, show_data: bool = True, group_modules: Any = False,
                 max_nodes: int = 200, rankdir: str = "TB", compact: bool = False) -> StepThrough:
    """A player of `root`'s graph (usually the loss): its forward evaluation, then its backward pass.

    It runs the engine's own backward pass (as `backward_steps`: the graph retained, nothing written to
    `.grad`), so every gradient shown is the real one and `root.backward()` afterwards gives the same result.
    Each backward frame's caption quotes the rules of the op's entry in ops.py's table and, for small tensors,
    the numbers that went into them; a gradient that has received some but not all of its contributions is
    marked "1 of 2". `params`, `show_data`, `group_modules`, `rankdir` and `compact` are draw_graph's;
    `max_nodes` bounds the picture (the tensors nearest the output are drawn, and have frames).
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"step_through: expected a Tensor (e.g. the loss), got {type(root).__name__}")
    recorded = _recorded_backward(root, "step_through")
    model = group_modules if group_modules not in (True, False, None) else None
    tensors, cut, inputs_of = _walk((root,), max_nodes)
    order = _drawing_order(tensors, inputs_of)
    seq = {id(t): i for i, t in enumerate(order)}
    names = _names(order, params, model)
    final = _GradsAt(recorded.history, len(recorded.nodes), recorded.final)
    picture = draw_graph(root, params=params, show_data=show_data, show_grad=True, grads=final,
                         group_modules=group_modules, max_nodes=max_nodes, rankdir=rankdir, compact=compact)
    picture.graph_attr["pad"] = "0.3"                     # room for the "1 of 2" marks beside the boxes
    svg = picture.pipe(format="svg").decode("utf-8")
    # Inline in HTML, the SVG needs no namespace declarations: without them the page names no http:// address.
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg[svg.index("<svg"):])

    def called(t: Tensor) -> str:
        name = names.get(id(t))
        if name is None and id(t) == id(root):
            name = "output"
        if name:
            return f"{name} {tuple(t.shape)}"
        made_by = f"{t.grad_fn.op.name}'s result" if t.grad_fn is not None else "the input"
        return f"{made_by} {tuple(t.shape)}"

    def grad_text(t: Tensor, g: Any) -> list[str]:      # the lines of its box that the page rewrites
        return _grad_text(g, record=compact and t.ndim == 0).split("\n")

    # Forward: the leaves are there from the start; each op and its result appear at its frame.
    appear: dict[str, int] = {}
    frames: list[dict] = []
    captions: list[str] = []
    ops = [t for t in order if t.grad_fn is not None]
    for t in order:
        if t.grad_fn is None:
            appear[f"t{seq[id(t)]}"] = 0
    for f, t in enumerate(ops, 1):
        appear[f"t{seq[id(t)]}"] = appear[f"op{seq[id(t)]}"] = f
        frames.append({"fwd": f})
        value = f" = {_one_line(t.array)}" if _few_numbers(t.array) else ""
        name = names.get(id(t)) or ("output" if t is root else "")
        captions.append(f"Forward {f}/{len(ops)}: {op_label(t.grad_fn)} gives {name + ' ' if name else ''}"
                        f"{tuple(t.shape)}{value}.")

    # Backward: how many gradient contributions each tensor is due (one per use by an op whose rules ran),
    # then one frame per rule application, with what changed.
    drawn = {id(t.grad_fn): t for t in ops}
    steps = [(k, node) for k, node in enumerate(recorded.nodes, 1) if id(node) in drawn]
    due: dict[int, int] = {}
    for _, node in steps:
        for x in inplace.inputs_as_used(node):
            if isinstance(x, Tensor) and x.requires_grad:
                due[id(x)] = due.get(id(x), 0) + 1
    received: dict[int, int] = {}
    grads: dict[str, list] = {}
    forward_frames = len(frames)
    for b, (k, node) in enumerate(steps, 1):
        t = drawn[id(node)]
        frame = forward_frames + b
        inputs = list(inplace.inputs_as_used(node))
        receivers = [x for x in dict.fromkeys(x for x in inputs if isinstance(x, Tensor) and x.requires_grad)
                     if id(x) in seq]
        frames.append({"bwd": b, "op": f"op{seq[id(t)]}", "ins": [f"t{seq[id(x)]}" for x in receivers]})
        for x in [t, *receivers]:
            steps_x, values_x = recorded.history.get(id(x), ([], []))
            if k not in steps_x:
                continue
            value = final[id(x)] if (x.grad_fn is None and id(x) in recorded.final) else \
                values_x[steps_x.index(k)]
            if x is not t:
                received[id(x)] = received.get(id(x), 0) + sum(1 for y in inputs if y is x)
            grads.setdefault(f"t{seq[id(x)]}", []).append(
                [frame, grad_text(x, value), received.get(id(x), 0), due.get(id(x), 0)])
        captions.append(_backward_caption(b, len(steps), node, t, receivers, inputs, k, recorded, names, called,
                                          received, due))
    grad_lines = {title: len(grad_text(t, final[id(t)])) for t in order if id(t) in final
                  for title in [f"t{seq[id(t)]}"] if title in grads}
    note = ""
    if cut:
        note = (f"Only the {len(order)} tensors nearest the output are drawn (max_nodes={max_nodes}); "
                f"{cut} more are not, nor the ops that made them.")
    return StepThrough(svg, appear, frames, captions, grads, grad_lines, note)


def _backward_caption(b: int, total: int, node: Any, t: Tensor, receivers: list[Tensor], inputs: list,
                      k: int, recorded: RecordedBackward, names: dict[int, str], called: Any,
                      received: dict[int, int], due: dict[int, int]) -> str:
    """`Backward 2/5: TanhBackward0 runs tanh's rule from the table: x ← g * (1 - out * out)  (1 - tanh^2).
    With g = [...], out = [...]: h (2,) gets [...].`"""
    op = node.op.name
    rules = table_rules(op)
    g = recorded.history[id(t)][1][recorded.history[id(t)][0].index(k)]
    head = f"Backward {b}/{total}: {node.name()} "
    if not rules:
        return head + f"runs the backward of {op_label(node)}, a rule of its own (not in ops.py's table)."
    used = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    shown = [r for r in rules if r.input == "each input" or r.input not in r.params
             or r.params.index(r.input) in used]
    parts = []
    for r in shown:
        # A rule that branches on whether it runs on arrays or on Tensors (create_graph) is long: its meaning
        # says it better, and the table holds the code.
        code = r.code if len(r.code) <= 70 or not r.meaning else f"{r.meaning} (see ops.py's {op})"
        meaning = f" ({r.meaning})" if r.meaning and r.meaning not in code else ""
        role = r.input
        if role.startswith("input ") and len(OPERAND_ROLES.get(op, ())) > int(role[6:]):
            role = OPERAND_ROLES[op][int(role[6:])]       # a rule written as a function: the operand's role
        position = r.params.index(r.input) if r.input in r.params else None
        name = names.get(id(inputs[position])) if position is not None and position < len(inputs) else None
        if name and name != role:
            role += f" ({name})"                         # the rule's x is W1 here
        parts.append(f"to {role}: {code}{meaning}")
    text = head + f"runs {op}'s rule{'s' if len(shown) > 1 else ''} from the table: " + "; ".join(parts) + "."
    # The numbers, when they are few: what the rules read, and what each input received.
    params = rules[0].params
    values: dict[str, Any] = {"g": g, "out": t.array}
    for name, x in zip(params, inputs):
        values[name] = x.array if isinstance(x, Tensor) else x
    reads = set()
    for r in shown:
        # A rule written as a call of a helper passes it everything: the meaning says what it uses (`g y^T`).
        said = [n for n in r.reads if re.search(rf"\b{n}\b", r.meaning)] if r.code.startswith("_") else []
        reads.update(said + ["g"] if said else r.reads)
    read = [n for n in values if n in reads and values[n] is not None and not isinstance(values[n], (tuple, slice))]
    gains = []
    for x in receivers:
        steps_x, values_x = recorded.history.get(id(x), ([], []))
        if k not in steps_x:
            continue
        j = steps_x.index(k)
        gain = values_x[j] - values_x[j - 1] if j else values_x[j]
        mark = f" ({received[id(x)]} of {due[id(x)]}, partial)" if received[id(x)] < due[id(x)] else (
            f" (all {due[id(x)]} added up)" if due[id(x)] > 1 else "")
        gains.append((called(x), gain, mark))
    arrays = [values[n] for n in read] + [gain for _, gain, _ in gains]
    if _few_numbers(*[a for a in arrays if isinstance(a, np.ndarray)]):
        numbers = ", ".join(f"{n} = {_one_line(values[n])}" for n in read)
        sent = "; ".join(f"{who} gets {_one_line(gain)}{mark}" for who, gain, mark in gains)
        text += f" With {numbers}: {sent}." if numbers else f" {sent}."
    else:
        text += " " + "; ".join(f"{who} gets its gradient{mark}" for who, _, mark in gains) + "."
    return text


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


def summary(*roots: Tensor, params: Mapping[str, Tensor] | None = None, max_nodes: int = 10**6) -> str:
    """The ops in topological order with shapes and dtypes, one line each (for terminals and diffs); or, as
    `summary(model, input)`, `model_summary`'s table of layers::

        %0 = x                       (4, 3) float32
        %1 = w   [requires grad]     (3, 2) float32
        %2 = matmul(%0, %1)          (4, 2) float32
    """
    if roots and not isinstance(roots[0], Tensor) and hasattr(roots[0], "named_modules"):
        return model_summary(roots[0], *roots[1:])          # summary(model, input): the table of layers
    tensors, cut, inputs_of = _walk(roots, max_nodes)
    order = _drawing_order(tensors, inputs_of)
    names = _param_names(params, None)
    index = {id(t): i for i, t in enumerate(order)}
    rows = []
    for i, t in enumerate(order):
        if t.grad_fn is None:
            what = names.get(id(t)) or t.name or "input"
            if t.requires_grad:
                what += "  [requires grad]"
        else:
            node = t.grad_fn
            refs = iter(f"%{index[id(x)]}" if id(x) in index else "?" for x in inputs_of[id(node)]
                        if isinstance(x, _DRAWN))
            operands, attrs = _op_parts(node)
            args = [next(refs) if a == "·" else a for a in operands]
            if node.op.name in ("getitem", "index_put"):
                attrs = [_fmt_index(node.attrs.get("index"))]
            what = f"{_op_name(node)}({', '.join(args + attrs)})"
            if t.name:
                what += f"  # {t.name}"
        rows.append((f"%{i} = {what}", f"{tuple(t.shape)} {t.dtype}"))
    width = max((len(a) for a, _ in rows), default=0)
    lines = [f"{a.ljust(width)}  {b}" for a, b in rows]
    if cut:
        lines.append(f"... {cut} more tensors not listed (max_nodes={max_nodes})")
    return "\n".join(lines)


def model_summary(model: Any, *inputs: Any, depth: int = 3) -> str:
    """A table of a model from one forward pass on `inputs` (run without recording), as torchinfo's
    `summary`: each module down to `depth` levels, indented, with its output shape and its parameter count
    (a module's own and its children's; "--" for a container whose children are listed), then the totals.
    The activation shapes between layers (28 -> 14 -> 10 -> 5 in LeNet) are what a CNN's design is about."""
    from .grad_mode import no_grad

    entries: list[list[Any]] = []      # [indent, label, output shape, params], in the order modules are called
    open_rows: dict[int, list[list[Any]]] = {}      # a module's rows still waiting for their output
    handles = []
    for name, module in model.named_modules():
        level = name.count(".") + 1 if name else 0
        if level > depth:
            continue
        children = list(module.children()) if level < depth else []
        own = sum(p.numel() for p in module.parameters())

        def before(mod: Any, args: Any, name: str = name, level: int = level, children: list = children,
                   own: int = own) -> None:
            label = f"{type(mod).__name__}" + (f" ({name.rsplit('.', 1)[-1]})" if name else "")
            entries.append([level, label, None, "--" if children else f"{own:,}"])
            open_rows.setdefault(id(mod), []).append(entries[-1])

        def after(mod: Any, args: Any, out: Any) -> None:
            first = out[0] if isinstance(out, (tuple, list)) and out else out
            open_rows[id(mod)].pop()[2] = list(first.shape) if isinstance(first, Tensor) else type(out).__name__

        handles += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
    try:
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    rows = [("  " * level + label, str(shape), count) for level, label, shape, count in entries]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("Layer (type)", "Output Shape",
                                                                               "Param #"))]
    rule = "=" * (sum(widths) + 4)
    lines = [rule, f"{'Layer (type)'.ljust(widths[0])}  {'Output Shape'.ljust(widths[1])}  "
                   f"{'Param #'.rjust(widths[2])}", rule]
    lines += [f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c.rjust(widths[2])}" for a, b, c in rows]
    lines += [rule, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", rule]
    return "\n".join(lines)
