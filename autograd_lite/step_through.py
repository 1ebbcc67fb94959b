"""The step-through: one page that plays a graph's forward evaluation, then its backward pass, an op at a time,
in Jupyter (`_repr_html_`) or in any browser (`.save("backprop.html")`): no network, no server, no widgets.

    st = viz.step_through(loss, params=dict(model.named_parameters()))
    st                                   # in Jupyter: the player
    st.save("backprop.html")             # a file that any browser opens

The picture is drawn once, by Graphviz's `dot`, with every tensor's final gradient (so each box gets its size);
the frames are data: which ops have run (forward), and which rule runs and what every gradient is after it
(backward). A small script shows a frame by hiding what has not run yet, colouring the active op and the
edges its gradients flow back along, and rewriting the gradient lines. So the page grows with the graph and
its gradients' changes, not with the graph times the number of frames.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from . import inplace, viz
from .tensor import Tensor

_INLINE = 16         # tensors of at most this many elements have their numbers written in captions


def _inline(a: Any) -> str:
    """A small array on one line, at three digits: `[0.762, -0.1]`."""
    a = np.asarray(a)
    number = (lambda v: f"{v:.4g}") if a.dtype.kind in "fc" else str
    text = number(a.item()) if a.ndim == 0 else np.array2string(
        a, separator=", ", formatter={"all": number}, max_line_width=10**6)
    return re.sub(r"(?<![\d.])-(0)(?![\d.eE])", r"\1", " ".join(text.split()))


def _small(*arrays: Any) -> bool:
    return all(np.size(a) <= _INLINE for a in arrays)


class StepThrough:
    """The player of one graph: forward frames (one per recorded op, in an order they could have run in, each
    after its inputs) then backward frames (one per rule application, in the order backward ran them).

    `captions[k]` is frame k + 1's caption; `frames[k]` says what it shows. It shows itself in Jupyter, and
    `save(path)` writes the standalone page (`html()`)."""

    def __init__(self, svg: str, appear: dict[str, int], frames: list[dict], captions: list[str],
                 grads: dict[str, list], grad_lines: dict[str, int], note: str) -> None:
        self.svg, self.appear, self.frames, self.captions = svg, appear, frames, captions
        self.grads, self.grad_lines, self.note = grads, grad_lines, note

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        forward = sum(1 for f in self.frames if "fwd" in f)
        return f"<StepThrough: {forward} forward frames, {len(self) - forward} backward frames>"

    def html(self) -> str:
        """The standalone page: the picture, the frames and the player, in one file."""
        data = {"appear": self.appear, "frames": self.frames, "captions": self.captions, "grads": self.grads,
                "gradLines": self.grad_lines}
        script = _SCRIPT.replace("__DATA__", json.dumps(data, separators=(",", ":")).replace("</", "<\\/"))
        note = f'<div id="note">{html.escape(self.note)}</div>' if self.note else ""
        return _PAGE.format(count=len(self), note=note, svg=self.svg, script=script)

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (`.html` is added if it has no suffix) and return the path."""
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".html")
        path.write_text(self.html(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # In an iframe, so that the page's script and styles stay its own beside other outputs.
        match = re.search(r'<svg[^>]*height="([\d.]+)pt"', self.svg)
        height = int(min(max(float(match.group(1)) * 4 / 3 + 150, 300), 900)) if match else 600
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" style="width: 100%; height: {height}px; '
                f'border: 1px solid #dee2e6" title="step-through of backprop"></iframe>')


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
    recorded = viz._recorded_backward(root, "step_through")
    model = group_modules if group_modules not in (True, False, None) else None
    tensors, cut = viz._walk((root,), max_nodes)
    order = viz._drawing_order(tensors)
    seq = {id(t): i for i, t in enumerate(order)}
    names = viz._param_names(params, model)
    for t in order:
        if t.name and id(t) not in names:
            names[id(t)] = t.name
    final = viz._GradsAt(recorded.history, len(recorded.nodes), recorded.final)
    picture = viz.draw_graph(root, params=params, show_data=show_data, show_grad=True, grads=final,
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

    def grad_text(t: Tensor, g: Any) -> list[str]:
        if compact and t.ndim == 0:
            return [f"grad {float(np.asarray(g)):.4f}"]
        return ("grad " + viz._values(g, "grad")).split("\n")

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
        value = f" = {_inline(t.array)}" if _small(t.array) else ""
        name = names.get(id(t)) or ("output" if t is root else "")
        captions.append(f"Forward {f}/{len(ops)}: {viz.op_label(t.grad_fn)} gives {name + ' ' if name else ''}"
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
        inputs = [x for x in inplace.inputs_as_used(node)]
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
                      k: int, recorded: viz.RecordedBackward, names: dict[int, str], called: Any,
                      received: dict[int, int], due: dict[int, int]) -> str:
    """`Backward 2/5: TanhBackward0 runs tanh's rule from the table: x ← g * (1 - out * out)  (1 - tanh^2).
    With g = [...], out = [...]: h (2,) gets [...].`"""
    op = node.op.name
    rules = viz.table_rules(op)
    g = recorded.history[id(t)][1][recorded.history[id(t)][0].index(k)]
    head = f"Backward {b}/{total}: {node.name()} "
    if not rules:
        return head + f"runs the backward of {viz.op_label(node)}, a rule of its own (not in ops.py's table)."
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
        if role.startswith("input ") and len(viz.OPERAND_ROLES.get(op, ())) > int(role[6:]):
            role = viz.OPERAND_ROLES[op][int(role[6:])]       # a rule written as a function: the operand's role
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
    if _small(*[a for a in arrays if isinstance(a, np.ndarray)]):
        numbers = ", ".join(f"{n} = {_inline(values[n])}" for n in read)
        sent = "; ".join(f"{who} gets {_inline(gain)}{mark}" for who, gain, mark in gains)
        text += f" With {numbers}: {sent}." if numbers else f" {sent}."
    else:
        text += " " + "; ".join(f"{who} gets its gradient{mark}" for who, _, mark in gains) + "."
    return text


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>autograd_lite: backprop, step by step</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 8px; color: #212529; background: #fff; }}
#controls {{ display: flex; gap: 6px; align-items: center; position: sticky; top: 0; background: #fff;
             padding: 4px 0; z-index: 2; }}
#controls button {{ font-size: 14px; min-width: 2.4em; }}
#slider {{ flex: 1; }}
#counter {{ font-size: 13px; min-width: 8em; text-align: right; }}
#caption {{ font-size: 14px; min-height: 3.6em; margin: 6px 0 8px; line-height: 1.35; }}
#note {{ font-size: 12px; color: #868e96; }}
#picture svg {{ max-width: 100%; height: auto; }}
.fit #picture svg {{ width: auto; max-height: calc(100vh - 130px); }}
.hidden {{ visibility: hidden; }}
.active ellipse, .active polygon, .active path {{ stroke: #e03131; stroke-width: 3px; }}
.active text {{ fill: #e03131; }}
.flow path {{ stroke: #e03131; stroke-width: 2.5px; }}
.flow polygon {{ stroke: #e03131; fill: #e03131; }}
.fresh > polygon, .fresh > path {{ stroke: #e03131; stroke-width: 2.5px; }}
.badge {{ font-size: 10px; font-weight: bold; }}
</style></head>
<body>
<div id="controls">
<button id="first" title="first frame (Home)">&laquo; first</button>
<button id="prev" title="previous frame (left arrow)">&lsaquo; prev</button>
<button id="play" title="play / pause (space)">play</button>
<button id="next" title="next frame (right arrow)">next &rsaquo;</button>
<button id="last" title="last frame (End)">last &raquo;</button>
<label title="fit the picture to the window (f)"><input id="fit" type="checkbox"> fit</label>
<input id="slider" type="range" min="1" max="{count}" value="1" aria-label="frame">
<span id="counter"></span>
</div>
<div id="caption"></div>
{note}
<div id="picture">{svg}</div>
<script>{script}</script>
</body></html>
"""

_SCRIPT = r"""
(function () {
  const D = __DATA__;
  const N = D.frames.length, $ = (id) => document.getElementById(id);
  const nodes = new Map(), edges = [];
  for (const g of document.querySelectorAll("#picture g.node, #picture g.edge")) {
    const title = g.querySelector("title").textContent;
    if (g.classList.contains("node")) nodes.set(title, g);
    else { const [a, b] = title.split("->"); edges.push({el: g, a: a, b: b}); }
  }
  const appear = (title) => (title in D.appear ? D.appear[title] : 0);
  // The gradient lines of a tensor's box are its last texts: as many as its final gradient has.
  const badges = new Map();
  function setGrad(title, change) {
    const g = nodes.get(title);
    if (!g) return;
    const texts = Array.from(g.querySelectorAll(":scope > text:not(.badge)"));
    const k = D.gradLines[title] || 0, lines = change ? change[1] : [];
    texts.slice(texts.length - k).forEach((t, i) => {
      t.textContent = i < lines.length ? (i === k - 1 ? lines.slice(i).join(" ") : lines[i]) : "";
    });
    let badge = badges.get(title);
    if (!badge) {
      const box = g.getBBox();
      badge = document.createElementNS(g.ownerSVGElement.namespaceURI, "text");
      badge.setAttribute("class", "badge");
      badge.setAttribute("x", box.x + box.width + 3);
      badge.setAttribute("y", box.y + 10);
      g.appendChild(badge);
      badges.set(title, badge);
    }
    const partial = change && change[2] < change[3];
    badge.textContent = !change || change[3] < 2 ? "" : partial ? change[2] + " of " + change[3]
                                                                : "all " + change[3] + " added";
    badge.setAttribute("fill", partial ? "#e8590c" : "#2b8a3e");
  }
  let frame = 1, timer = null;
  function show(f) {
    frame = Math.max(1, Math.min(N, f));
    const fr = D.frames[frame - 1], limit = "bwd" in fr ? Infinity : fr.fwd;
    $("slider").value = frame;
    $("counter").textContent = "frame " + frame + " of " + N;
    $("caption").textContent = D.captions[frame - 1];
    for (const [title, g] of nodes) {
      g.classList.toggle("hidden", appear(title) > limit);
      g.classList.toggle("active", title === fr.op);
      g.classList.toggle("fresh", "bwd" in fr && fr.ins.includes(title));
    }
    for (const e of edges) {
      e.el.classList.toggle("hidden", Math.max(appear(e.a), appear(e.b)) > limit);
      e.el.classList.toggle("flow", "bwd" in fr && e.b === fr.op && fr.ins.includes(e.a));
    }
    for (const title in D.grads) {
      let current = null;
      for (const change of D.grads[title]) { if (change[0] <= frame) current = change; else break; }
      setGrad(title, current);
    }
  }
  function play() {
    if (timer) { clearInterval(timer); timer = null; $("play").textContent = "play"; return; }
    if (frame === N) show(1);
    $("play").textContent = "pause";
    timer = setInterval(() => { show(frame + 1); if (frame >= N) play(); }, 900);
  }
  $("first").onclick = () => show(1);
  $("prev").onclick = () => show(frame - 1);
  $("next").onclick = () => show(frame + 1);
  $("last").onclick = () => show(N);
  $("play").onclick = play;
  $("slider").oninput = (e) => show(Number(e.target.value));
  $("fit").onchange = (e) => document.body.classList.toggle("fit", e.target.checked);
  document.addEventListener("keydown", (e) => {
    if (e.target === $("slider")) return;          // the slider moves itself with the arrows
    const to = {ArrowRight: frame + 1, ArrowLeft: frame - 1, Home: 1, End: N}[e.key];
    if (to !== undefined) { show(to); e.preventDefault(); }
    else if (e.key === " ") { play(); e.preventDefault(); }
    else if (e.key === "f") { $("fit").click(); }
  });
  show(1);
})();
"""
