"""The step-through player: one page that plays a graph's forward evaluation, then its backward pass, an op at a time,
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
