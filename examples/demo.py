"""The demo: a small network learns a 3-class spiral, define-by-run, and shows what it built.

    python examples/demo.py [--epochs 60] [--out out/demo] [--seed 0]

It trains an MLP with nn.Adam on spiral points generated here (no data, no internet), with a progress bar,
prints the accuracy, and writes two files it names at the end: the model's computation graph (SVG, drawn
by autograd_lite.viz; the DOT source if Graphviz's `dot` is not installed) and a plot of the decision
regions with the training points (PNG, matplotlib).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import autograd_lite as al
import nn
from autograd_lite import viz
from nn.data import DataLoader, TensorDataset, make_spirals


def build_model(hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 3))


def accuracy(model: nn.Module, x: al.Tensor, y: np.ndarray) -> float:
    model.eval()
    with al.no_grad():
        pred = model(x).argmax(dim=1).numpy()
    model.train()
    return float((pred == y).mean())


def draw_graph(model: nn.Module, x: al.Tensor, y: al.Tensor, out: Path) -> Path:
    """The graph of one forward pass and its loss, grouped by module, as SVG (or DOT without `dot`)."""
    loss = nn.CrossEntropyLoss()(model(x[:4]), y[:4])
    loss.name = "loss"
    graph = viz.draw_graph(loss, group_modules=model)
    if shutil.which("dot") is None:
        path = out / "graph.dot"
        path.write_text(graph.source)
        print("note: Graphviz's `dot` is not installed, so the graph is saved as DOT source; install the "
              "OS package `graphviz` to get SVG (see README)")
        return path
    return Path(graph.render(out / "graph", format="svg", cleanup=True))


def plot_regions(model: nn.Module, x: np.ndarray, y: np.ndarray, losses: list[float], out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")                    # files only: no window, works on a server
    import matplotlib.pyplot as plt

    xx, yy = np.meshgrid(np.linspace(-1.1, 1.1, 300), np.linspace(-1.1, 1.1, 300))
    grid = al.tensor(np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32))
    model.eval()
    with al.no_grad():
        regions = model(grid).argmax(dim=1).numpy().reshape(xx.shape)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.5))
    from matplotlib.colors import ListedColormap
    points = ListedColormap(["#e03131", "#1971c2", "#2f9e44"])          # class k: the same hue twice,
    areas = ListedColormap(["#ffc9c9", "#a5d8ff", "#b2f2bb"])           # dark for points, light for areas
    ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], cmap=areas)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap=points, vmin=0, vmax=2, s=12, edgecolors="k", linewidths=0.3)
    ax.set_title("decision regions after training")
    ax.set_aspect("equal")
    ax2.plot(losses)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("mean training loss")
    ax2.set_yscale("log")
    ax2.set_title("loss")
    fig.tight_layout()
    path = out / "decision_regions.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="where to write the graph and plot")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    al.manual_seed(args.seed)
    x_np, y_np = make_spirals(100, 3, seed=args.seed)
    x, y = al.tensor(x_np), al.tensor(y_np)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=np.random.default_rng(args.seed))
    model = build_model(args.hidden)
    opt = nn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    print(f"training {model!r}\non {len(y_np)} spiral points in 3 classes")

    start = time.perf_counter()
    losses = []
    bar = tqdm(range(1, args.epochs + 1), desc="training", unit="epoch")
    for _ in bar:
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)     # the graph is recorded as this runs...
            loss.backward()                    # ...and walked backwards here
            opt.step()
            total += loss.item() * len(yb)
        losses.append(total / len(y_np))
        bar.set_postfix(loss=f"{losses[-1]:.4f}", accuracy=f"{accuracy(model, x, y_np):.1%}")
    bar.close()
    acc = accuracy(model, x, y_np)
    print(f"final training accuracy: {acc:.1%} ({time.perf_counter() - start:.1f} s)")

    graph_path = draw_graph(model, x, y, args.out)
    plot_path = plot_regions(model, x_np, y_np, losses, args.out)
    print(f"wrote the computation graph to {graph_path}")
    print(f"wrote the decision regions and loss curve to {plot_path}")
    return acc


if __name__ == "__main__":
    main()
