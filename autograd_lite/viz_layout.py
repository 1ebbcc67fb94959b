"""Where a drawing's nodes go on the page: a deep graph is wrapped into side-by-side columns, so that it fits.

Graphviz's `dot` stacks a graph in ranks, one per step of its longest path: a sequential model (LeNet, an
LSTM unrolled over time) comes out as one long column, a few hundred points wide and thousands tall, and
fitting it to a page or a screen shrinks its text to nothing. Laying it out left to right (`rankdir=LR`)
only turns the problem on its side: the boxes are wider than tall. Here the chain is cut into columns,
read top to bottom, then left to right, like a newspaper's. Each column is a cluster without a frame (so
that `dot` keeps it in one piece), laid out by `dot` as before; the edges from one column to another are
drawn but do not rank their nodes (`constraint=false`); and an invisible point per column, in order on
the top rank, holds each column's first node below it, so that the columns stand side by side in order.

Whether to wrap and where is decided from the DOT nodes and edges alone, before `dot` runs (drawing must
work without it installed): each node is given a depth, its size is estimated from its label, and the
number of columns is the one that brings the picture nearest a square, if that gains a tenth. The cuts
fall between modules (clusters), never through one, unless the module holds every column, as the whole
model does: its frame then gives way to the columns' and its name becomes the picture's title. Graphs
that fit a screen as they are (an MLP, `a * b + c`) stay one column.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Graphviz's defaults, in points (72 per inch): how tall a rank is and how far apart nodes sit.
_RANKSEP, _NODESEP, _MIN_HEIGHT, _MIN_WIDTH = 36.0, 18.0, 36.0, 54.0
_CHAR, _LINE, _CLUSTER_MARGIN = 4.6, 12.0, 8.0     # Helvetica 10pt: average advance, line height; a cluster's frame
_GAP = 40.0                                         # between two columns
_WRAP_FROM = 1400.0        # estimated height (pt) up to which a graph stays one column (sin(x^3)'s dy/dx: 1250)
_MAX_COLUMNS = 6


class ColumnKey(str):
    """A column in a path of module names: a cluster drawn without a frame, that keeps the column together."""


@dataclass
class Columns:
    """The plan: which column each node is in; `outer`, the modules around every column (the whole model),
    whose frames give way to the columns'; the first node of each column; the edges that cross from one
    column to another, and those that skip ranks inside a column (drawn with no pull, `weight=0`, so that
    `dot` puts the nodes off the longest path where the plan counted them: `xw[t]` next to step t)."""

    column: dict[str, int]
    outer: tuple[str, ...]
    heads: list[str]
    crossing: set[tuple[str, str]]
    loose: set[tuple[str, str]]

    def paths(self, clusters: Mapping[tuple[str, ...], list]) -> dict[tuple[str, ...], list]:
        """The clusters (path -> [(node id, attributes)]) with every node moved into its column's cluster, and
        the modules of `outer` left out. A cluster is drawn in one piece, so the columns cannot interleave;
        and each input and output goes in the column of the nodes it is drawn next to (kept outside a frame
        around every column, they would pull the columns' order about, `dot` placing them at its sides)."""
        placed: dict[tuple[str, ...], list] = {}
        n = len(self.outer)
        for path, members in clusters.items():
            for node in members:
                key = (ColumnKey(f"column {self.column[node[0]]}"),) + (path[n:] if path[:n] == self.outer else path)
                placed.setdefault(key, []).append(node)
        return placed

    def anchor(self, g: Any) -> None:
        """Into the graphviz graph `g`: an invisible point per column, in order on the top rank, each above
        its column's first node (so the columns stand in order), and `outer`'s name as the title."""
        if self.outer:
            g.attr(label=self.outer[-1], labelloc="t")
        with g.subgraph() as top:
            top.attr(rank="same")
            for k in range(len(self.heads)):
                top.node(f"column{k}", shape="point", style="invis")
                if k:
                    top.edge(f"column{k - 1}", f"column{k}", style="invis")
        for k, head in enumerate(self.heads):
            g.edge(f"column{k}", head, style="invis")

    def edge_attrs(self, edge: tuple[str, str], attrs: dict) -> dict:
        """An edge's DOT attributes: from one column to another, drawn but not ranked; skipping ranks, no pull."""
        if edge in self.crossing:
            return {**attrs, "constraint": "false"}
        return {**attrs, "weight": "0"} if edge in self.loose else attrs


def _size(attrs: Mapping[str, str]) -> tuple[float, float]:
    """A node's width and height as `dot` will make them, from its label (text at fontsize 10)."""
    lines = str(attrs.get("label", "")).split("\n")
    text = max(len(line) for line in lines) * _CHAR
    height = max(_MIN_HEIGHT, _LINE * len(lines) + 6)
    if attrs.get("shape") == "ellipse":                  # an ellipse around the text: sqrt(2) times its box
        return max(_MIN_WIDTH, 1.42 * text + 8), max(_MIN_HEIGHT, 1.42 * (_LINE * len(lines)))
    return max(_MIN_WIDTH, text + 16), height


def _depths(names: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, int] | None:
    """A depth per node (its rank in a one-column drawing), or None if the edges have a cycle.

    On the longest path depths are fixed; a node off it (a parameter, one slice of a product shared by
    every time step, an output gathered at the end) may sit anywhere its slack allows, and goes next to
    the neighbour it shares with fewer others: a parameter next to the op that uses it, the slice `xw[t]`
    next to step t rather than next to `xw`, a step's output next to that step rather than the final `cat`.
    """
    succ: dict[str, list[str]] = {n: [] for n in names}
    pred: dict[str, list[str]] = {n: [] for n in names}
    for a, b in dict.fromkeys(edges):              # (a * a: one edge here)
        succ[a].append(b)
        pred[b].append(a)
    # Kahn's order (the nodes come in the drawing's order, so the plan is the same in every process)
    waiting = {n: len(pred[n]) for n in names}
    ready = [n for n in names if not waiting[n]]
    order: list[str] = []
    while ready:
        n = ready.pop()
        order.append(n)
        for s in succ[n]:
            waiting[s] -= 1
            if not waiting[s]:
                ready.append(s)
    if len(order) != len(names):
        return None
    early: dict[str, int] = {}
    for n in order:
        early[n] = max((early[p] + 1 for p in pred[n]), default=0)
    last = max(early.values(), default=0)
    late: dict[str, int] = {}
    for n in reversed(order):
        late[n] = min((late[s] - 1 for s in succ[n]), default=last)
    # How widely the nearest shared node before and after each node is shared (through chains of nodes
    # with one input and one use: `xw -> getitem -> xw[t] -> lstm_cell`): xw by 5 steps, the cell's
    # input by 3 operands, so xw[t] goes with the cell; a step's `h_t -> reshape -> cat` the other way.
    def chained(n: str) -> bool:
        return len(pred[n]) == 1 and len(succ[n]) == 1

    before: dict[str, int] = {}
    for n in order:
        p = pred[n][0] if len(pred[n]) == 1 else None
        before[n] = (before[p] if p is not None and chained(p) else
                     max((len(succ[p]) for p in pred[n]), default=len(names)))
    after: dict[str, int] = {}
    for n in reversed(order):
        s = succ[n][0] if len(succ[n]) == 1 else None
        after[n] = after[s] if s is not None and chained(s) else max((len(pred[s]) for s in succ[n]), default=0)
    depth: dict[str, int] = {}
    for n in order:
        depth[n] = late[n] if before[n] > after[n] else max((depth[p] + 1 for p in pred[n]), default=0)
    return depth


def plan(nodes: Mapping[str, tuple[tuple[str, ...], Mapping[str, str]]], edges: Sequence[tuple[str, str, Mapping]],
         columns: int | None) -> Columns | None:
    """Columns for a drawing of `nodes` (id -> (cluster path, DOT attributes)) and `edges` (tail, head, attrs):
    `columns` of them, or as many as bring the picture nearest a square when None; None for one column."""
    if columns is not None and columns <= 1:
        return None
    names = list(nodes)
    links = [(a, b, attrs) for a, b, attrs in edges if a in nodes and b in nodes and a != b]
    depth = _depths(names, ((a, b) for a, b, _ in links))
    if depth is None or not names:
        return None
    levels = max(depth.values()) + 1
    # Each rank's height: its tallest node and the gap below it (about twice the gap when an edge has a
    # label: `dot` then puts the labels on ranks of their own between their nodes'). Its width: its nodes
    # side by side, in their clusters' frames, and the edges passing through it (each routed by `dot`
    # through a virtual node on every rank it passes). Edges crossing each cut, by a running count.
    height, width = [0.0] * levels, [0.0] * levels
    for n, (path, attrs) in nodes.items():
        w, h = _size(attrs)
        height[depth[n]] = max(height[depth[n]], h)
        width[depth[n]] += w + _NODESEP + 2 * _CLUSTER_MARGIN * len(path)
    gap = (1.4 if any("label" in attrs for _, _, attrs in links) else 1.0) * _RANKSEP
    starting, ending = [0] * (levels + 1), [0] * (levels + 1)
    for a, b, _ in links:
        starting[depth[a]] += 1
        ending[depth[b]] += 1
    crossings, open_edges = [0] * levels, 0
    for d in range(levels):
        open_edges += starting[d] - ending[d]       # edges from depth <= d to depth > d
        crossings[d] = open_edges
        width[d] += _NODESEP * max(0, open_edges - starting[d])     # passing through rank d
    above = [0.0]                                   # above[d]: the height of ranks 0 .. d - 1
    for h in height:
        above.append(above[-1] + h + gap)
    total = above[-1]
    if columns is None and (total < _WRAP_FROM or levels < 4):
        return None

    # The modules (clusters) a cut below depth d would run through: those with nodes on both sides.
    spans: dict[tuple[str, ...], list[int]] = {}
    for n, (path, _) in nodes.items():
        for k in range(1, len(path) + 1):
            lo_hi = spans.setdefault(path[:k], [depth[n], depth[n]])
            lo_hi[0], lo_hi[1] = min(lo_hi[0], depth[n]), max(lo_hi[1], depth[n])
    opens: dict[int, list] = {}
    closes: dict[int, list] = {}
    for p, (lo, hi) in spans.items():
        if lo < hi:
            opens.setdefault(lo, []).append(p)
            closes.setdefault(hi, []).append(p)
    through: list[frozenset] = []
    current: set = set()
    snapshot: frozenset = frozenset()
    for d in range(levels):
        if d in opens or d in closes:
            current.update(opens.get(d, ()))
            current.difference_update(closes.get(d, ()))
            snapshot = frozenset(current)
        through.append(snapshot)

    # A cut below an op would start the next column with the op's own result: cut below tensors.
    op_at = [False] * levels
    for n, (_, attrs) in nodes.items():
        op_at[depth[n]] |= attrs.get("shape") == "ellipse"

    def cuts_for(k: int) -> list[int] | None:
        """k - 1 cuts (cut d: the next column starts below depth d) near equal heights (within a fifth of a
        column), through the fewest modules, then below a tensor, then across the fewest edges."""
        cuts: list[int] = []
        for j in range(1, k):
            goal, slack = total * j / k, 0.2 * total / k
            best = None
            lo = max(cuts[-1] + 1 if cuts else 0, bisect.bisect_left(above, goal - slack) - 1)
            for d in range(lo, min(levels - 1, bisect.bisect_right(above, goal + slack))):
                off = abs(above[d + 1] - goal)
                if off <= slack:
                    key = (len(through[d]), op_at[d], crossings[d], off)
                    best = min(best, (key, d)) if best is not None else (key, d)
            if best is None:
                return None
            cuts.append(best[1])
        # A module cut through must hold every column (the whole model, around all of them), so every cut
        # runs through the same modules, each inside the next.
        if len({through[d] for d in cuts}) != 1:
            return None
        nested = sorted(through[cuts[0]], key=len)
        return cuts if all(b[:len(a)] == a for a, b in zip(nested, nested[1:])) else None

    def extent(cuts: list[int]) -> float:
        """The longer side of the picture with these cuts."""
        bounds = [-1, *cuts, levels - 1]
        bands = [range(lo + 1, hi + 1) for lo, hi in zip(bounds, bounds[1:])]
        tall = max(above[band.stop] - above[band.start] for band in bands)
        wide = sum(max(width[d] for d in band) for band in bands) + _GAP * len(cuts)
        return max(tall, wide)

    if columns is not None:
        k = min(columns, levels)
        chosen = cuts_for(k) or sorted({max(0, bisect.bisect_right(above, total * j / k) - 2) for j in range(1, k)})
    else:
        best_size, chosen = extent([]), []
        for k in range(2, _MAX_COLUMNS + 1):
            cuts = cuts_for(k)
            if cuts is not None and extent(cuts) < 0.9 * best_size:      # a column more must pay for itself
                best_size, chosen = extent(cuts), cuts
    if not chosen:
        return None
    column = {n: bisect.bisect_left(chosen, depth[n]) for n in names}
    crossing = {(a, b) for a, b, _ in links if column[a] != column[b]}
    loose = {(a, b) for a, b, _ in links if column[a] == column[b] and depth[b] - depth[a] > 1}
    outer = max(through[chosen[0]], key=len, default=())
    heads: list[str | None] = [None] * (len(chosen) + 1)
    for n in names:                 # each column's first node: least deep, first drawn among equals
        k = column[n]
        if heads[k] is None or depth[n] < depth[heads[k]]:
            heads[k] = n
    return Columns(column, outer, [h for h in heads if h is not None], crossing, loose)
