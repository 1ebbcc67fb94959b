"""Draws the gallery of computation graphs in docs/gallery/ (SVG files), from real models run here.

    python docs/gallery/make_gallery.py [--out DIR]

Every picture is produced by `autograd_lite.viz` from a graph recorded by running the model, never drawn
by hand; rerun this script after changing the drawing code. Needs Graphviz's `dot` program.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import autograd_lite as al
import nn
from autograd_lite import viz


class LSTMCellSketch(nn.Module):
    """One LSTM step written out (gates i, f, g, o as in PyTorch), to show the graph of a recurrent cell."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.ih = nn.Linear(input_size, 4 * hidden_size)
        self.hh = nn.Linear(hidden_size, 4 * hidden_size)

    def forward(self, x: al.Tensor, state: tuple[al.Tensor, al.Tensor]) -> tuple[al.Tensor, al.Tensor]:
        h, c = state
        i, f, g, o = (self.ih(x) + self.hh(h)).chunk(4, dim=1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return h, c


def mlp(out: Path) -> list[str]:
    al.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    x = al.tensor([[0.5, -1.0], [1.5, 0.25]], name="x")
    y = al.tensor([1, 0])
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.name = "loss"
    loss.backward(retain_graph=True)
    viz.draw_graph(loss, group_modules=model, show_data=True).render(out / "mlp", format="svg", cleanup=True)
    viz.draw_graph(loss, params=dict(model.named_parameters()), view="both").render(
        out / "mlp_forward_backward", format="svg", cleanup=True)
    steps = list(viz.backward_steps(loss, params=dict(model.named_parameters())))
    for k in (1, len(steps) // 2, len(steps)):
        steps[k - 1][1].render(out / f"mlp_backward_step{k}", format="svg", cleanup=True)
    big = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    loss = nn.CrossEntropyLoss()(big(al.randn(32, 784)), al.randint(0, 10, (32,)))
    viz.draw_graph(loss, group_modules=big, collapse=2).render(out / "mlp_collapsed", format="svg", cleanup=True)
    return ["mlp", "mlp_forward_backward", f"mlp_backward_step{len(steps) // 2}", "mlp_collapsed"]


def lstm_step(out: Path) -> list[str]:
    al.manual_seed(1)
    cell = LSTMCellSketch(3, 2)
    x = al.randn(1, 3)
    h0, c0 = al.zeros(1, 2), al.zeros(1, 2)
    h0.name, c0.name, x.name = "h0", "c0", "x"
    h, c = cell(x, (h0, c0))
    viz.draw_graph(h.sum(), group_modules=cell).render(out / "lstm_step", format="svg", cleanup=True)
    return ["lstm_step"]


def higher_order(out: Path) -> list[str]:
    x = al.tensor(1.5, requires_grad=True, name="x")
    y = (x * x * x).sin()
    y.name = "y"
    (dy,) = al.grad(y, x, create_graph=True)      # dy/dx, itself a graph of x
    dy.name = "dy/dx"
    viz.draw_graph(dy, show_data=True).render(out / "higher_order", format="svg", cleanup=True)
    return ["higher_order"]


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    np.set_printoptions(precision=3)
    names = mlp(args.out) + lstm_step(args.out) + higher_order(args.out)
    paths = [args.out / f"{n}.svg" for n in names]
    for p in paths:
        print(f"wrote {p}")
    return paths


if __name__ == "__main__":
    main()
